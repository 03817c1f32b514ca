package policy

import "regexp"

// The patterns below are compiled once and never changed.
var (
	// Tokens with a recognisable shape, wherever they appear.
	tokenRe = regexp.MustCompile(`\b(?:sk-ant-[A-Za-z0-9_\-]{8,}|sk-[A-Za-z0-9_\-]{20,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16}|glpat-[A-Za-z0-9_\-]{20,}|npm_[A-Za-z0-9]{36}|AIza[0-9A-Za-z_\-]{35}|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,})`)
	// NAME=value, export NAME=value: every value, since any variable may
	// hold a credential (DATABASE_URL=postgres://user:pass@...).
	assignRe = regexp.MustCompile(`(^|[\s;&|(` + "`" + `])((?:export\s+|local\s+|readonly\s+|declare\s+(?:-[A-Za-z]+\s+)*)?[A-Za-z_][A-Za-z0-9_]*\+?=)('[^']*'|"(?:[^"\\]|\\.)*"|[^\s;&|)` + "`" + `]*)`)
	// --token=value, --password value, -p-style secrets named as such.
	flagRe = regexp.MustCompile(`(?i)(--?[A-Za-z0-9_-]*(?:token|secret|password|passwd|api[-_]?key|apikey|auth|credential|private[-_]?key)[A-Za-z0-9_-]*)(=|\s+)('[^']*'|"(?:[^"\\]|\\.)*"|[^\s;&|)]+)`)
	// Authorization: Bearer ..., X-Api-Key: ..., Cookie: ...
	headerRe = regexp.MustCompile(`(?i)((?:proxy-)?(?:authorization|x-api-key|api-key|x-auth-token|cookie)\s*:\s*)([^'"\n]+)`)
	// scheme://user:password@host
	urlCredRe = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'"]+:)([^@\s/'"]+)@`)
)

// Redact hides what looks like a secret in a shell command (or a reason
// quoting one) before it is logged: the values of variable assignments,
// of options named like --token or --password, of Authorization-style
// headers, passwords in URLs, and tokens with a known shape (sk-ant-...,
// ghp_..., AKIA...).
func Redact(s string) string {
	s = tokenRe.ReplaceAllString(s, "[REDACTED]")
	s = assignRe.ReplaceAllString(s, "${1}${2}[REDACTED]")
	s = flagRe.ReplaceAllString(s, "${1}${2}[REDACTED]")
	s = headerRe.ReplaceAllString(s, "${1}[REDACTED]")
	s = urlCredRe.ReplaceAllString(s, "${1}[REDACTED]@")
	return s
}
