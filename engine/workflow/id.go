package workflow

import (
	"crypto/rand"
	"fmt"
	"strings"
)

const (
	maxSlugLen   = 40
	suffixLen    = 6
	maxIDLen     = 63
	idRule       = "1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit"
	base36Digits = "0123456789abcdefghijklmnopqrstuvwxyz"
)

// NewID makes an id for a workflow called name: a slug of the name (so the
// id, the branch autonomous/<id> and the worktree folder are recognisable)
// and a random suffix (so two workflows with the same name never collide).
func NewID(name string) string {
	return Slug(name) + "-" + randomSuffix()
}

// Slug reduces name to lowercase a-z, 0-9 and single dashes, at most 40
// characters; "workflow" when nothing is left.
func Slug(name string) string {
	var b strings.Builder
	dash := false // a run of other characters is pending, to become one '-'
	for _, r := range strings.ToLower(name) {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			dash = true
			continue
		}
		sep := dash && b.Len() > 0
		dash = false
		if n := b.Len() + 1; sep && n+1 > maxSlugLen || n > maxSlugLen {
			break
		}
		if sep {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "workflow"
	}
	return b.String()
}

func randomSuffix() string {
	var buf [suffixLen]byte
	rand.Read(buf[:]) // never fails (crypto/rand panics rather than return an error)
	for i, c := range buf {
		// 256 is not a multiple of 36, so a few digits are slightly more
		// likely; for a suffix that only has to avoid collisions that is fine.
		buf[i] = base36Digits[int(c)%len(base36Digits)]
	}
	return string(buf[:])
}

// ValidateID refuses anything that is not a well-formed id. Ids become file
// names and branch names, so this is what stops "../x" or "a/b" from
// reaching the file system or git.
func ValidateID(id string) error {
	if !validID(id) {
		return fmt.Errorf("invalid workflow id %q: an id is %s", id, idRule)
	}
	return nil
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0:
		default:
			return false
		}
	}
	return true
}
