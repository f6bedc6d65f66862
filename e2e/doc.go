// Package e2e holds the end-to-end tests: modeltool run as a program on real files, its whole
// output compared with golden files. The test binary is the program (see TestMain), so the code
// the scripts reach counts in coverage.
package e2e
