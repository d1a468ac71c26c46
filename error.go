package acuerdo

import (
	"errors"
	"fmt"
)

// Error codes. They are few and stable because the web layer maps each to one
// HTTP status and the API returns them to the creditor's systems.
const (
	ECONFLICT       = "conflict"        // the action conflicts with the current state
	EINTERNAL       = "internal"        // a bug or an unavailable dependency
	EINVALID        = "invalid"         // the input is wrong; the message says how
	ENOTFOUND       = "not_found"       // the entity does not exist
	EUNAUTHORIZED   = "unauthorized"    // not signed in or the key is unknown
	EFORBIDDEN      = "forbidden"       // signed in but not allowed
	EPOLICY         = "policy_refused"  // a policy rule refused the action
	ENOTIMPLEMENTED = "not_implemented" // the action exists but is not available here
)

// Error is an application error that is safe to show to a user: Message says what
// went wrong and, where it can, what to do about it.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("acuerdo: %s: %s", e.Code, e.Message) }

// Errorf builds an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any
// other error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err, and a generic one for
// internal errors so that no internal detail leaks to a user.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
