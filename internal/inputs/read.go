package inputs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxFileSize is the default cap. Real Dockerfiles and compose files are a
// few kilobytes; anything this large is generated or not what it claims to
// be, and auditing it would only cost memory.
const MaxFileSize = 8 << 20

// sniffLen is how much of a file is examined to tell text from binary:
// enough to see past any header, little enough to cost nothing.
const sniffLen = 8 << 10

// Read reads a file of at most limit bytes (MaxFileSize when limit <= 0)
// without ever holding more than limit+1 bytes of it. Every error is an
// *Error with the path:
//   - larger than limit: "file is N MB, over the M MB limit";
//   - not a regular file (directory, device, fifo, socket): "not a regular
//     file", decided before opening so a fifo never blocks;
//   - binary: a NUL byte or invalid UTF-8 in the first 8 KiB: "binary file,
//     not text"; text starting with a UTF-16 byte order mark gets its own
//     message because the fix is simple;
//   - unreadable: "cannot read: permission denied" and the like.
//
// A UTF-8 byte order mark is accepted and left in place so the bytes
// returned are exactly the file's; parsers that care must skip it.
func Read(path string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxFileSize
	}
	// limit+1 bytes must fit in a slice.
	limit = min(limit, math.MaxInt-1)

	// Stat, not Lstat: a link to a regular file is fine, and what matters
	// is what the link leads to.
	info, err := os.Stat(path)
	if err != nil {
		return nil, readError(path, err)
	}
	if err := check(path, info, limit); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, readError(path, err)
	}
	defer f.Close()
	// The path may have been replaced between Stat and OpenFile; what was
	// opened is what gets read, so check it again.
	if info, err = f.Stat(); err != nil {
		return nil, readError(path, err)
	}
	if err := check(path, info, limit); err != nil {
		return nil, err
	}
	data, err := readCapped(f, info.Size(), limit)
	if err != nil {
		return nil, readError(path, err)
	}
	if int64(len(data)) > limit {
		// The file grew after the size check.
		if info, err := f.Stat(); err == nil && info.Size() > limit {
			return nil, tooLarge(path, info.Size(), limit)
		}
		return nil, &Error{Path: path, Message: "file is larger than the " + humanSize(limit) + " limit"}
	}
	if msg := sniff(data); msg != "" {
		return nil, &Error{Path: path, Message: msg}
	}
	return data, nil
}

func check(path string, info fs.FileInfo, limit int64) error {
	if !info.Mode().IsRegular() {
		return &Error{Path: path, Message: "not a regular file"}
	}
	if info.Size() > limit {
		return tooLarge(path, info.Size(), limit)
	}
	return nil
}

// readCapped reads r to the end but stops after limit+1 bytes, which is
// enough to tell that the input is over the limit. The buffer starts at the
// expected size so a file that does not change is read without regrowing,
// and it never grows past limit+1.
func readCapped(r io.Reader, sizeHint, limit int64) ([]byte, error) {
	r = io.LimitReader(r, limit+1)
	buf := make([]byte, 0, min(max(sizeHint+1, 512), limit+1))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf, nil
			}
			grown := make([]byte, len(buf), min(int64(cap(buf))*2, limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// sniff returns why data is not text worth auditing, or "".
func sniff(data []byte) string {
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return "UTF-16 text is not supported; save it as UTF-8"
	}
	head := data
	if len(head) > sniffLen {
		head = trimPartialRune(head[:sniffLen])
	}
	// A UTF-8 byte order mark is the valid encoding of U+FEFF, so it
	// passes utf8.Valid without special treatment.
	if bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(head) {
		return "binary file, not text"
	}
	return ""
}

// trimPartialRune drops a multi-byte character cut in half at the end of b,
// so cutting the sniffed prefix at a fixed length never makes text look
// binary.
func trimPartialRune(b []byte) []byte {
	i := len(b) - 1
	for i >= 0 && i > len(b)-utf8.UTFMax && !utf8.RuneStart(b[i]) {
		i--
	}
	if i >= 0 && !utf8.FullRune(b[i:]) {
		return b[:i]
	}
	return b
}

func readError(path string, err error) *Error {
	if errors.Is(err, fs.ErrNotExist) {
		return &Error{Path: path, Message: "no such file or directory"}
	}
	return &Error{Path: path, Message: "cannot read: " + reason(err)}
}

func tooLarge(path string, size, limit int64) *Error {
	s, l := humanSize(size), humanSize(limit)
	if s == l {
		// Rounding made them look equal ("8 MB, over the 8 MB limit");
		// exact counts show why the file is refused.
		s, l = strconv.FormatInt(size, 10)+" B", strconv.FormatInt(limit, 10)+" B"
	}
	return &Error{Path: path, Message: fmt.Sprintf("file is %s, over the %s limit", s, l)}
}

// humanSize writes n bytes with binary multiples and one decimal at most,
// the way people talk about file sizes ("100 MB", "1.5 KB", "12 B").
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := [...]string{"KB", "MB", "GB", "TB", "PB", "EB"}
	v, i := float64(n)/unit, 0
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + units[i]
}

// ReadIf reads the first headLen bytes of a file and, only when accept says
// the head is worth it, the whole file, through the one open file and with
// Read's limit and checks. It is how files are recognized by content (a
// shell script's #! line, a YAML file's keys) without reading every file in
// full: accepted is false, with no error, for a file accept turns down.
// Errors are *Error values as from Read.
func ReadIf(path string, limit int64, headLen int, accept func(head []byte) bool) (data []byte, accepted bool, err error) {
	if limit <= 0 {
		limit = MaxFileSize
	}
	limit = min(limit, math.MaxInt-1)
	info, err := os.Stat(path)
	if err != nil {
		return nil, false, readError(path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, false, &Error{Path: path, Message: "not a regular file"}
	}
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, false, readError(path, err)
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, false, readError(path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, false, &Error{Path: path, Message: "not a regular file"}
	}
	head := make([]byte, headLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, false, readError(path, err)
	}
	head = head[:n]
	if !accept(head) {
		return nil, false, nil
	}
	if info.Size() > limit {
		return nil, true, tooLarge(path, info.Size(), limit)
	}
	rest, err := readCapped(f, info.Size()-int64(n), limit-int64(n))
	if err != nil {
		return nil, true, readError(path, err)
	}
	data = append(head, rest...)
	if int64(len(data)) > limit {
		return nil, true, &Error{Path: path, Message: "file is larger than the " + humanSize(limit) + " limit"}
	}
	if msg := sniff(data); msg != "" {
		return nil, true, &Error{Path: path, Message: msg}
	}
	return data, true, nil
}

// CheckText returns an *Error when data (read from somewhere other than a
// file, such as standard input) is not text worth auditing: binary, or
// UTF-16.
func CheckText(path string, data []byte) error {
	if msg := sniff(data); msg != "" {
		return &Error{Path: path, Message: msg}
	}
	return nil
}
