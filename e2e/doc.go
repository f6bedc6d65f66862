// Package e2e holds the end-to-end tests: they build the real modeltool binary and run it on
// real files, comparing its whole output with golden files.
package e2e
