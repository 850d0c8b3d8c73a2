package hubspot

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// flexString accepts a JSON string or number. Ids are strings in HubSpot's
// spec, but older endpoints and some samples send numbers; reading either
// costs nothing and avoids a failed sync over a representation change.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*s = ""
		return nil
	}
	if b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	}
	*s = flexString(b)
	return nil
}

// flexInt accepts a JSON number or a numeric string (list sizes come as
// numbers in definitions and as strings in additionalProperties).
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*n = 0
		return nil
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		return nil // an unreadable count is not worth failing a call over
	}
	*n = flexInt(f)
	return nil
}

// parseTime reads HubSpot's ISO-8601 timestamps; an empty or odd value gives
// the zero time rather than an error, since timestamps are informational
// everywhere except the search cursor, which checks for zero itself.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC()
	}
	return time.Time{}
}

// propertyValues flattens a properties object. Values are strings or null
// per the spec; null (unset) is left out, and anything else (a number or
// boolean from an undocumented property type) is kept as its JSON text.
func propertyValues(raw map[string]json.RawMessage) map[string]string {
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || bytes.Equal(v, []byte("null")):
			continue
		case v[0] == '"':
			var s string
			if json.Unmarshal(v, &s) == nil {
				out[k] = s
			}
		default:
			out[k] = string(v)
		}
	}
	return out
}
