package mock8x8

// The JSON scanning Decode and ReadEvents share: exact member names, duplicate members,
// byte offsets and excerpts for messages, all without re-encoding the input.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// jsonObject is one JSON object's members by exact name, as most parsers see them: the
// last of duplicateMember members wins.
type jsonObject struct {
	path   string // JSON path of the object; "" for the envelope
	fields map[string]json.RawMessage
	keys   []string // member names in order of appearance, duplicates once
}

// member is the JSON path of o's member key.
func (o *jsonObject) member(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

type duplicateMember struct {
	key   string
	count int
}

// parseObject splits raw, a valid JSON object, into its members. Values alias raw.
func parseObject(path string, raw []byte) (*jsonObject, []duplicateMember) {
	o := &jsonObject{path: path, fields: map[string]json.RawMessage{}}
	var counts map[string]int
	i := skipJSONSpace(raw, 0) + 1 // past '{'
	for {
		i = skipJSONSpace(raw, i)
		if i >= len(raw) || raw[i] != '"' {
			break // '}' (or, on invalid input, anything: stop)
		}
		keyEnd := skipString(raw, i)
		key := unquoteJSON(raw[i:keyEnd])
		i = skipJSONSpace(raw, keyEnd) + 1 // past ':'
		i = skipJSONSpace(raw, i)
		end := skipValue(raw, i)
		if _, seen := o.fields[key]; seen {
			if counts == nil {
				counts = map[string]int{}
			}
			counts[key] = max(counts[key], 1) + 1
		} else {
			o.keys = append(o.keys, key)
		}
		o.fields[key] = raw[i:end:end]
		i = skipJSONSpace(raw, end)
		if i < len(raw) && raw[i] == ',' {
			i++
		}
	}
	var dups []duplicateMember
	for _, k := range o.keys {
		if n := counts[k]; n > 1 {
			dups = append(dups, duplicateMember{k, n})
		}
	}
	return o, dups
}

// unquoteJSON returns the text of a valid JSON string literal.
func unquoteJSON(lit []byte) string {
	if len(lit) >= 2 && bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1])
	}
	var s string
	_ = json.Unmarshal(lit, &s)
	return s
}

// skipValue returns the end of the JSON value that starts at b[i]. It is exact for valid
// JSON and much faster than a full scan; on invalid input it still returns an end in
// (i, len(b)], and validating b[i:end] then finds the first error, because the walk
// follows the real structure for as long as the text is valid.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			k := bytes.IndexAny(b[i:], `"{}[]`)
			if k < 0 {
				return len(b)
			}
			i += k
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			default:
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	default: // a number, a literal, or garbage: up to the next delimiter
		j := i + 1
		for j < len(b) && !isDelimiter(b[j]) {
			j++
		}
		return j
	}
}

func isDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', ':', '[', ']', '{', '}', '"':
		return true
	}
	return false
}

// skipString returns the end of the string literal whose opening quote is b[i].
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			break
		}
		j += k
		backslashes := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return j + 1
		}
		j++
	}
	return len(b)
}

// jsonKind names the JSON type of a valid value.
func jsonKind(v []byte) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// jsonExcerpt is s as a JSON string, shortened with "…" when long.
func jsonExcerpt(s string) string {
	if len(s) > maxExcerpt-4 {
		s = truncateUTF8(s, maxExcerpt-6) + "…"
	}
	return string(appendJSONString(nil, s))
}

// rawExcerpt shortens raw JSON text for a message.
func rawExcerpt(s string) string {
	if len(s) > maxExcerpt {
		return truncateUTF8(s, maxExcerpt-3) + "…"
	}
	return s
}

func truncateUTF8(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// skipJSONSpace returns the index of the first byte at or after i that is not JSON
// whitespace (space, tab, CR, LF), or len(b).
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// syntaxErrorAt describes err, from decoding b[base:], as "at byte offset N (line L,
// column C): message", with N an offset into b.
func syntaxErrorAt(b []byte, base int, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return "at byte offset " + strconv.Itoa(base) + ": " + err.Error()
	}
	off := base + int(se.Offset) - 1 // the offending byte; the last byte at end of input
	off = max(min(off, len(b)-1), 0)
	line, col := lineColumn(b, off)
	return fmt.Sprintf("at byte offset %d (line %d, column %d): %s", off, line, col, se.Error())
}

// lineColumn turns a byte offset into a 1-based line and a 1-based column in characters.
func lineColumn(b []byte, off int) (line, col int) {
	off = max(min(off, len(b)), 0)
	line = 1 + bytes.Count(b[:off], []byte{'\n'})
	lineStart := bytes.LastIndexByte(b[:off], '\n') + 1
	return line, 1 + utf8.RuneCount(b[lineStart:off])
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// rawSpan receives a JSON value without copying it and keeps only its length.
type rawSpan int

// UnmarshalJSON records the length of the value's text.
func (s *rawSpan) UnmarshalJSON(b []byte) error {
	*s = rawSpan(len(b))
	return nil
}
