// Command modeltool validates, populates and computes the cost of LLM model description files.
package main

func main() {}
