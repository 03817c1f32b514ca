package stream

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// MaxLineBytes bounds one line held in memory. A tool result can be many
// megabytes, so the bound is far above bufio.Scanner's 64 KiB; a longer line
// is reported as Malformed and skipped (the raw log still has it).
const MaxLineBytes = 256 << 20

// LineReader reads newline-delimited lines of any length up to a bound.
type LineReader struct {
	r   *bufio.Reader
	buf []byte
	max int
}

// NewLineReader reads lines from r, each at most MaxLineBytes long.
func NewLineReader(r io.Reader) *LineReader {
	return &LineReader{r: bufio.NewReaderSize(r, 64<<10), max: MaxLineBytes}
}

// ErrLineTooLong is returned (wrapped) for a line over the bound; the reader
// has skipped it and can go on.
var ErrLineTooLong = errors.New("line too long")

// Next returns the next line without its newline. The slice is valid until
// the following call. At the end it returns io.EOF (after a last line that
// had no newline). A line over the bound gives ErrLineTooLong with its first
// bytes, and reading can continue.
func (l *LineReader) Next() ([]byte, error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		switch {
		case err == nil:
			if len(l.buf) == 0 {
				return chunk[:len(chunk)-1], nil
			}
			l.buf = append(l.buf, chunk[:len(chunk)-1]...)
			return l.buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if len(l.buf)+len(chunk) > l.max {
				head := append([]byte(nil), l.buf[:min(len(l.buf), ExcerptBytes)]...)
				if len(head) < ExcerptBytes {
					head = append(head, chunk[:min(len(chunk), ExcerptBytes-len(head))]...)
				}
				if err := l.skipLine(); err != nil && !errors.Is(err, io.EOF) {
					return nil, err
				}
				return head, fmt.Errorf("%w: over %d bytes", ErrLineTooLong, l.max)
			}
			l.buf = append(l.buf, chunk...)
		case errors.Is(err, io.EOF):
			l.buf = append(l.buf, chunk...)
			if len(l.buf) > 0 {
				return l.buf, nil
			}
			return nil, io.EOF
		default:
			return nil, err
		}
	}
}

func (l *LineReader) skipLine() error {
	for {
		_, err := l.r.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

// ReadAll parses every line of r, handing each event to emit, until r ends
// (nil) or fails (the read error, wrapped). Over-long lines become Malformed
// events.
func (p *Parser) ReadAll(r io.Reader, emit func(Event)) error {
	lr := NewLineReader(r)
	for {
		line, err := lr.Next()
		switch {
		case err == nil:
			for _, ev := range p.Parse(line) {
				emit(ev)
			}
		case errors.Is(err, ErrLineTooLong):
			emit(Event{Kind: KindMalformed, Time: p.now(), IsError: true, Text: excerpt(string(line), ExcerptBytes) + " (" + err.Error() + ")"})
		case errors.Is(err, io.EOF):
			return nil
		default:
			return fmt.Errorf("read agent stream: %w", err)
		}
	}
}
