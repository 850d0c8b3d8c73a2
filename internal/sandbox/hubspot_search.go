package sandbox

import (
	"bytes"
	"container/heap"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Search request limits (current search guide): filter groups, filters per
// group, filters in total.
const (
	hsMaxFilterGroups    = 5
	hsMaxFiltersPerGroup = 6
	hsMaxFilters         = 18
	hsDefaultSearchLimit = 10
)

// hsFlexStr reads a JSON string or number as a string; clients send ids,
// limits and filter values either way.
type hsFlexStr string

func (s *hsFlexStr) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*s = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = hsFlexStr(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("expected a string or a number, got %s", b)
	}
	*s = hsFlexStr(n)
	return nil
}

type hsFilter struct {
	PropertyName string      `json:"propertyName"`
	Operator     string      `json:"operator"`
	Value        *hsFlexStr  `json:"value"`
	HighValue    *hsFlexStr  `json:"highValue"`
	Values       []hsFlexStr `json:"values"`
}

type hsSearchBody struct {
	FilterGroups []struct {
		Filters []hsFilter `json:"filters"`
	} `json:"filterGroups"`
	Sorts      []json.RawMessage `json:"sorts"`
	Properties []string          `json:"properties"`
	Limit      *int              `json:"limit"`
	After      *hsFlexStr        `json:"after"`
	Query      string            `json:"query"`
}

// hsSearchableText are the properties the free-text query looks at.
var hsSearchableText = []string{"firstname", "lastname", "email", "phone", "mobilephone", "company"}

// hsValueKind is how a property's values compare.
type hsValueKind int

const (
	hsText    hsValueKind = iota // case-insensitive strings
	hsEnum                       // case-sensitive strings; checkbox values are ";"-joined
	hsNumeric                    // numbers, and dates/datetimes as epoch ms
)

func hsKindOf(p *hsProperty) hsValueKind {
	switch p.Type {
	case "number", "date", "datetime":
		return hsNumeric
	case "enumeration":
		return hsEnum
	default:
		return hsText
	}
}

// hsNumber reads a contact's value of a numeric property; dates and
// datetimes are epoch ms.
func hsNumber(c *hsContact, p *hsProperty) (float64, bool) {
	switch p.Name {
	case "lastmodifieddate", "hs_lastmodifieddate":
		return float64(c.updatedMs), true
	case "createdate":
		return float64(c.createdAt.UnixMilli()), true
	case "hs_object_id":
		return float64(c.id), true
	}
	v, ok := c.props[p.Name]
	if !ok {
		return 0, false
	}
	return hsParseNumber(p, v)
}

// hsParseNumber reads a number, or a date/datetime as epoch ms (HubSpot
// filter values for dates are epoch ms; ISO text is accepted too).
func hsParseNumber(p *hsProperty, v string) (float64, bool) {
	v = strings.TrimSpace(v)
	if p.Type == "date" || p.Type == "datetime" {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			return float64(ms), true
		}
		for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
			if t, err := time.Parse(layout, v); err == nil {
				return float64(t.UnixMilli()), true
			}
		}
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	return f, err == nil && !math.IsNaN(f)
}

// hsCompileFilter turns one filter into a predicate.
func hsCompileFilter(f hsFilter) (func(*hsContact) bool, error) {
	p, ok := hsSchemaByName[f.PropertyName]
	if !ok || p.Archived {
		return nil, fmt.Errorf("There was a problem with the request. Property %q does not exist.", f.PropertyName)
	}
	op := strings.ToUpper(f.Operator)
	kind := hsKindOf(p)
	has := func(c *hsContact) bool {
		if _, ok := hsNumber(c, p); ok && kind == hsNumeric {
			return true
		}
		return c.props[p.Name] != ""
	}
	switch op {
	case "HAS_PROPERTY":
		return has, nil
	case "NOT_HAS_PROPERTY":
		return func(c *hsContact) bool { return !has(c) }, nil
	}
	value := ""
	if f.Value != nil {
		value = string(*f.Value)
	}
	needValue := func() error {
		if f.Value == nil {
			return fmt.Errorf("Filter on %s with operator %s needs a value.", f.PropertyName, op)
		}
		return nil
	}

	switch op {
	case "IN", "NOT_IN":
		if len(f.Values) == 0 {
			return nil, fmt.Errorf("Filter on %s with operator %s needs values.", f.PropertyName, op)
		}
		set := map[string]bool{}
		for _, v := range f.Values {
			set[hsNormalize(kind, p, string(v))] = true
		}
		in := func(c *hsContact) bool {
			for _, v := range hsValuesOf(c, p, kind) {
				if set[v] {
					return true
				}
			}
			return false
		}
		if op == "IN" {
			return in, nil
		}
		return func(c *hsContact) bool { return !in(c) }, nil
	case "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN":
		if err := needValue(); err != nil {
			return nil, err
		}
		pattern := strings.ToLower(value)
		contains := func(c *hsContact) bool {
			for _, tok := range strings.FieldsFunc(strings.ToLower(c.props[p.Name]), hsTokenSep) {
				if ok, _ := path.Match(pattern, tok); ok {
					return true
				}
			}
			return false
		}
		if op == "CONTAINS_TOKEN" {
			return contains, nil
		}
		return func(c *hsContact) bool { return !contains(c) }, nil
	case "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN":
		if err := needValue(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("Unknown filter operator %q.", f.Operator)
	}

	if kind == hsNumeric {
		lo, ok := hsParseNumber(p, value)
		if !ok {
			return nil, fmt.Errorf("%q is not a valid value for property %s.", value, p.Name)
		}
		hi := lo
		if op == "BETWEEN" {
			if f.HighValue == nil {
				return nil, fmt.Errorf("BETWEEN on %s needs a highValue.", p.Name)
			}
			if hi, ok = hsParseNumber(p, string(*f.HighValue)); !ok {
				return nil, fmt.Errorf("%q is not a valid value for property %s.", *f.HighValue, p.Name)
			}
		}
		cmp := hsNumericOps[op]
		return func(c *hsContact) bool {
			v, ok := hsNumber(c, p)
			if !ok {
				return op == "NEQ"
			}
			return cmp(v, lo, hi)
		}, nil
	}
	want := hsNormalize(kind, p, value)
	high := want
	if op == "BETWEEN" && f.HighValue != nil {
		high = hsNormalize(kind, p, string(*f.HighValue))
	}
	return func(c *hsContact) bool {
		vs := hsValuesOf(c, p, kind)
		if len(vs) == 0 {
			return op == "NEQ"
		}
		for _, v := range vs {
			if hsStringOp(op, v, want, high) {
				return op != "NEQ"
			}
		}
		return op == "NEQ"
	}, nil
}

var hsNumericOps = map[string]func(v, lo, hi float64) bool{
	"EQ":      func(v, lo, _ float64) bool { return v == lo },
	"NEQ":     func(v, lo, _ float64) bool { return v != lo },
	"LT":      func(v, lo, _ float64) bool { return v < lo },
	"LTE":     func(v, lo, _ float64) bool { return v <= lo },
	"GT":      func(v, lo, _ float64) bool { return v > lo },
	"GTE":     func(v, lo, _ float64) bool { return v >= lo },
	"BETWEEN": func(v, lo, hi float64) bool { return v >= lo && v <= hi },
}

// hsStringOp compares one value; for NEQ it reports equality, which the
// caller inverts (a multi-valued property is "not equal" when no value is).
func hsStringOp(op, v, want, high string) bool {
	switch op {
	case "EQ", "NEQ":
		return v == want
	case "LT":
		return v < want
	case "LTE":
		return v <= want
	case "GT":
		return v > want
	case "GTE":
		return v >= want
	case "BETWEEN":
		return v >= want && v <= high
	}
	return false
}

func hsTokenSep(r rune) bool {
	return !(r == '*' || r == '@' || r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 127)
}

// hsNormalize makes text values case-insensitive; enumeration values are
// case-sensitive in HubSpot.
func hsNormalize(kind hsValueKind, p *hsProperty, v string) string {
	if kind == hsEnum {
		return v
	}
	return strings.ToLower(v)
}

// hsValuesOf lists a contact's comparable values of p: checkbox properties
// hold several, ";"-joined.
func hsValuesOf(c *hsContact, p *hsProperty, kind hsValueKind) []string {
	v, ok := c.props[p.Name]
	if !ok || v == "" {
		return nil
	}
	if p.FieldType == "checkbox" {
		return strings.Split(v, ";")
	}
	return []string{hsNormalize(kind, p, v)}
}

// hsSortSpec is the one sort rule of a search.
type hsSortSpec struct {
	prop *hsProperty
	desc bool
}

func hsParseSort(raw json.RawMessage) (hsSortSpec, error) {
	var name, dir string
	var obj struct {
		PropertyName string `json:"propertyName"`
		Direction    string `json:"direction"`
	}
	var s string
	switch {
	case json.Unmarshal(raw, &obj) == nil && obj.PropertyName != "":
		name, dir = obj.PropertyName, strings.ToUpper(obj.Direction)
	case json.Unmarshal(raw, &s) == nil && s != "":
		name, dir = strings.TrimPrefix(s, "-"), "ASCENDING"
		if strings.HasPrefix(s, "-") {
			dir = "DESCENDING"
		}
	default:
		return hsSortSpec{}, fmt.Errorf("invalid sort %s", raw)
	}
	p, ok := hsSchemaByName[name]
	if !ok {
		return hsSortSpec{}, fmt.Errorf("Property %q does not exist.", name)
	}
	switch dir {
	case "", "ASCENDING":
		return hsSortSpec{prop: p}, nil
	case "DESCENDING":
		return hsSortSpec{prop: p, desc: true}, nil
	}
	return hsSortSpec{}, fmt.Errorf("Unknown sort direction %q.", dir)
}

func (h *HubSpot) handleSearch(w http.ResponseWriter, r *http.Request) {
	var body hsSearchBody
	if err := readJSON(r, w, &body); err != nil {
		h.validationError(w, "Invalid input JSON: "+err.Error())
		return
	}
	limit := hsDefaultSearchLimit
	if body.Limit != nil {
		limit = *body.Limit
	}
	if limit < 0 || limit > h.opts.SearchPageMax {
		h.validationError(w, fmt.Sprintf("limit must be between 0 and %d, got %d.", h.opts.SearchPageMax, limit))
		return
	}
	after := 0
	if body.After != nil && *body.After != "" {
		n, err := strconv.Atoi(string(*body.After))
		if err != nil || n < 0 {
			h.validationError(w, fmt.Sprintf("after must be a non-negative integer offset, got %q.", *body.After))
			return
		}
		after = n
	}
	if after+limit > h.opts.SearchResultCap {
		h.validationError(w, fmt.Sprintf("Search results are capped at %d; after (%d) plus limit (%d) exceeds the cap.", h.opts.SearchResultCap, after, limit))
		return
	}
	if len(body.FilterGroups) > hsMaxFilterGroups {
		h.validationError(w, fmt.Sprintf("Too many filter groups: at most %d are allowed.", hsMaxFilterGroups))
		return
	}
	var groups [][]func(*hsContact) bool
	total := 0
	for _, g := range body.FilterGroups {
		if len(g.Filters) > hsMaxFiltersPerGroup {
			h.validationError(w, fmt.Sprintf("Too many filters in a group: at most %d are allowed.", hsMaxFiltersPerGroup))
			return
		}
		total += len(g.Filters)
		var preds []func(*hsContact) bool
		for _, f := range g.Filters {
			pred, err := hsCompileFilter(f)
			if err != nil {
				h.validationError(w, err.Error())
				return
			}
			preds = append(preds, pred)
		}
		groups = append(groups, preds)
	}
	if total > hsMaxFilters {
		h.validationError(w, fmt.Sprintf("Too many filters: at most %d are allowed.", hsMaxFilters))
		return
	}
	if len(body.Sorts) > 1 {
		h.validationError(w, "Only one sort is allowed.")
		return
	}
	order := hsSortSpec{prop: hsSchemaByName["createdate"]}
	if len(body.Sorts) == 1 {
		s, err := hsParseSort(body.Sorts[0])
		if err != nil {
			h.validationError(w, err.Error())
			return
		}
		order = s
	}
	query := strings.ToLower(strings.TrimSpace(body.Query))
	props := hsRequestedProps(body.Properties)
	visibleBefore := h.now().Add(-h.opts.SearchLag)

	h.mu.RLock()
	defer h.mu.RUnlock()
	matched := make([]*hsContact, 0, 256)
	for _, c := range h.order {
		if !c.live() || c.updatedAt.After(visibleBefore) {
			continue
		}
		if !hsMatchesGroups(c, groups) || (query != "" && !hsMatchesQuery(c, query)) {
			continue
		}
		matched = append(matched, c)
	}
	sorted := hsSortedPrefix(matched, order, after+limit)
	start := min(after, len(sorted))
	end := min(after+limit, len(matched))
	results := make([]map[string]any, 0, end-start)
	for _, c := range sorted[start:] {
		results = append(results, hsObjectJSON(c, props))
	}
	resp := map[string]any{"total": len(matched), "results": results}
	if end < len(matched) {
		resp["paging"] = map[string]any{"next": map[string]string{"after": strconv.Itoa(end)}}
	}
	writeJSON(w, http.StatusOK, resp)
}

// hsMatchesGroups: filters in a group are ANDed, groups are ORed; no
// groups match everything.
func hsMatchesGroups(c *hsContact, groups [][]func(*hsContact) bool) bool {
	if len(groups) == 0 {
		return true
	}
	for _, g := range groups {
		all := true
		for _, pred := range g {
			if !pred(c) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func hsMatchesQuery(c *hsContact, query string) bool {
	for _, p := range hsSearchableText {
		if strings.Contains(strings.ToLower(c.props[p]), query) {
			return true
		}
	}
	return false
}

// hsKeyed is a contact with its sort key extracted once.
type hsKeyed struct {
	c       *hsContact
	num     float64
	text    string
	missing bool
}

// hsSortedPrefix returns the first k contacts in the search order: by the
// sort property, records without a value last, ties by rank (stable, but
// not id order). Only the prefix is sorted, since a page needs no more.
func hsSortedPrefix(cs []*hsContact, order hsSortSpec, k int) []*hsContact {
	k = min(k, len(cs))
	if k <= 0 {
		return nil
	}
	p := order.prop
	numeric := hsKindOf(p) == hsNumeric
	ks := make([]hsKeyed, len(cs))
	for i, c := range cs {
		k := hsKeyed{c: c}
		if numeric {
			v, ok := hsNumber(c, p)
			k.num, k.missing = v, !ok
		} else {
			k.text = strings.ToLower(c.props[p.Name])
			k.missing = k.text == ""
		}
		ks[i] = k
	}
	less := func(a, b *hsKeyed) bool {
		if a.missing != b.missing {
			return b.missing
		}
		if numeric && a.num != b.num {
			return (a.num < b.num) != order.desc
		}
		if !numeric && a.text != b.text {
			return (a.text < b.text) != order.desc
		}
		return a.c.rank < b.c.rank
	}
	if k*4 < len(ks) {
		// Keep the k smallest in a max-heap: O(n log k) instead of O(n log n).
		h := &hsKeyHeap{items: make([]hsKeyed, 0, k), less: less}
		for i := range ks {
			switch {
			case len(h.items) < k:
				heap.Push(h, ks[i])
			case less(&ks[i], &h.items[0]):
				h.items[0] = ks[i]
				heap.Fix(h, 0)
			}
		}
		ks = h.items
	}
	sort.Slice(ks, func(i, j int) bool { return less(&ks[i], &ks[j]) })
	out := make([]*hsContact, k)
	for i := range out {
		out[i] = ks[i].c
	}
	return out
}

// hsKeyHeap is a max-heap under less: the root is the largest kept.
type hsKeyHeap struct {
	items []hsKeyed
	less  func(a, b *hsKeyed) bool
}

func (h *hsKeyHeap) Len() int           { return len(h.items) }
func (h *hsKeyHeap) Less(i, j int) bool { return h.less(&h.items[j], &h.items[i]) }
func (h *hsKeyHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *hsKeyHeap) Push(x any)         { h.items = append(h.items, x.(hsKeyed)) }
func (h *hsKeyHeap) Pop() any {
	last := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return last
}
