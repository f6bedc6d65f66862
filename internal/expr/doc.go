// Package expr is modeltool's placeholder language: the expressions in
// parameter values ("{batch_size} * {seq_len}"), architecture templates and the
// catalog's cost formulas. It parses them, evaluates them exactly, evaluates
// them partially (substitute what is known, fold constants, print the
// remainder), prints them canonically, and resolves lazily evaluated named
// definitions (Scope).
//
// # Syntax
//
// A variable is written {name}, name matching [A-Za-z_][A-Za-z0-9_]*, with no
// spaces inside the braces. Numbers are written as in JSON without a sign (123,
// 0.5, 1e-5, 2.5E3; not 01, .5 or 5.). The operators, lowest precedence first:
//
//	1  c ? a : b          right-associative; c must be a boolean
//	2  ||                 booleans, short-circuit
//	3  &&                 booleans, short-circuit
//	4  == != < <= > >=    not chainable (a < b < c is an error); == and != also on booleans
//	5  + -
//	6  * / // %           / exact; // floor division; % takes the divisor's sign
//	7  unary - + !
//	8  **                 right-associative, binds tighter than a unary minus on its left
//	                      (-2 ** 2 is -4) but takes one on its right (2 ** -1 is 1/2)
//	9  literals, {name}, true, false, ( … ), min(a, …), max(a, …), ceil(x), floor(x)
//
// Templates also use strings and lists (a model file's and the catalog's
// expressions never do; see Expr.TemplateOnly):
//
//	'text'                a string; inside, \' is a quote and \\ a backslash
//	[a, b, …]             a list of numbers, booleans and strings ([] is empty)
//	x[i]                  item i (an integer from 0) of the list x, or character i
//	                      of the string x (a one-character string); binds tightest
//	x in l                at level 4: whether the list l holds x (items of another kind never match)
//	len(x)                the number of items of a list, or of characters of a string
//	is_number(x)          whether x is a number; is_boolean, is_string and is_list
//	                      likewise: what a config key of several JSON types holds
//	activation(name)      a host function: its meaning comes from the Env (Caller)
//
// == and != compare strings too, but never values of two kinds (4 == 'auto' is
// an error: test the kind first); c ? a : b may give strings or lists. A
// string's characters are its Unicode code points, as in Python.
//
// # Semantics
//
// Values (Value) are exact rational numbers (math/big), booleans, strings or
// lists; there is no floating point and no overflow. Operators check the types of their operands:
// true + 1, !3, 1 ? 2 : 3 and 1 && true are errors at the operator's column. /
// is exact; /, // and % by zero are errors. a // b is floor(a/b) and a % b is
// a - b*floor(a/b), also for fractions. ** needs an integer exponent; 0 ** -1 is
// a division by zero. min and max take one or more numbers; ceil and floor give
// integers.
//
// # Limits
//
// MaxLength, MaxDepth, MaxDigits and MaxExponent bound what Parse accepts;
// MaxBits and MaxDenomBits bound the numbers a computation may produce, and
// MaxWork the time it may spend on very large numbers. Inputs beyond them fail
// quickly with errors wrapping ErrTooLarge. Numbers of the kind model files hold
// are far from all of them.
//
// # Errors
//
// Parse, Eval and Partial return *Error, which carries the 1-based byte column
// in the expression and wraps a sentinel (ErrSyntax, ErrUnbound, ErrType,
// ErrDivByZero, ErrNotInteger, ErrTooLarge, ErrCycle) for errors.Is.
package expr
