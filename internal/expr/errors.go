package expr

import (
	"errors"
	"strconv"
)

// Error is an error located in an expression's source: every error that Parse,
// Eval and Partial return is an *Error. Col is the 1-based byte column inside the
// expression's Source (for a Partial result or a Const, its canonical text). Err,
// when not nil, is the cause: one of the sentinel errors of this package (perhaps
// wrapped), or an error returned by an Env, so callers can use errors.Is.
type Error struct {
	Col int    // 1-based byte column in the expression's source
	Msg string // what went wrong, without the column
	Err error  // the cause, for errors.Is and errors.As; may be nil
}

// Error returns "col N: msg".
func (e *Error) Error() string { return "col " + strconv.Itoa(e.Col) + ": " + e.Msg }

// Unwrap returns the cause (Err).
func (e *Error) Unwrap() error { return e.Err }

// Sentinel errors. Every *Error returned by this package wraps one of them (an
// error from an Env is passed through as it is), so callers can tell the kinds
// apart with errors.Is.
var (
	// ErrSyntax: the text is not an expression (Parse) or not a number (ParseNumber).
	ErrSyntax = errors.New("syntax error")
	// ErrUnbound: a variable is not defined. An Env returns it (or an error
	// wrapping it) from Lookup for a name it does not know.
	ErrUnbound = errors.New("unbound variable")
	// ErrType: an operand of the wrong type (a boolean where a number is needed,
	// or the reverse), or an Env value that is not valid.
	ErrType = errors.New("type error")
	// ErrDivByZero: division (/, //, %) by zero, or 0 raised to a negative power.
	ErrDivByZero = errors.New("division by zero")
	// ErrNotInteger: a fractional exponent.
	ErrNotInteger = errors.New("exponent must be an integer")
	// ErrTooLarge: one of the limits (MaxLength, MaxDepth, MaxDigits,
	// MaxExponent, MaxBits, MaxDenomBits, MaxWork) was exceeded.
	ErrTooLarge = errors.New("too large")
	// ErrCycle: a Scope definition refers to itself, directly or through others.
	ErrCycle = errors.New("cyclic definition")
	// ErrIndex: a list index out of range.
	ErrIndex = errors.New("index out of range")
)

func syntaxErr(off int, msg string) *Error {
	return &Error{Col: off + 1, Msg: msg, Err: ErrSyntax}
}
