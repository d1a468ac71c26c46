package hooks

import (
	"regexp"
	"strings"
)

// failedReceiver matches the receiver deliver names at the start of an
// event's last error: "<receiver>: <error>", after "gave up after N attempts: "
// when it gave up. The receiver is already redacted (redactURL).
var failedReceiver = regexp.MustCompile(`^(?:gave up after \d+ attempts: )?(https?://[^\s]*?): `)

// FailedReceiver returns the receiver an event's last error names, "" when it
// names none (no error, or one written by something else). The console shows
// it next to the error.
func FailedReceiver(lastError string) string {
	if m := failedReceiver.FindStringSubmatch(lastError); m != nil {
		return m[1]
	}
	return ""
}

// RedactURL keeps a receiver's scheme, host and path, as error messages show
// it: a query string or user info may hold a token, so the console shows
// receivers only this way.
func RedactURL(u string) string {
	return redactURL(strings.TrimSpace(u))
}
