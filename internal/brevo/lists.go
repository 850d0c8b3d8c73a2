package brevo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/httpx"
)

// MaxListPage is Brevo's largest page of lists and folders; there is no
// find-by-name, so finding a list means paging through all of them.
const MaxListPage = 50

// MaxListMembers is how many contacts one add/remove call may name.
const MaxListMembers = 150

// List is a contact list. The subscriber counters are being retired by
// Brevo (they may read 0); count members with ListContactCount.
type List struct {
	ID                int64
	Name              string
	FolderID          int64
	TotalSubscribers  int64
	TotalBlacklisted  int64
	UniqueSubscribers int64
	CreatedAt         time.Time
}

type listWire struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	FolderID          int64  `json:"folderId"`
	TotalSubscribers  int64  `json:"totalSubscribers"`
	TotalBlacklisted  int64  `json:"totalBlacklisted"`
	UniqueSubscribers int64  `json:"uniqueSubscribers"`
	CreatedAt         string `json:"createdAt"`
}

func (w listWire) list() List {
	return List{ID: w.ID, Name: w.Name, FolderID: w.FolderID, TotalSubscribers: w.TotalSubscribers,
		TotalBlacklisted: w.TotalBlacklisted, UniqueSubscribers: w.UniqueSubscribers, CreatedAt: parseTime(w.CreatedAt)}
}

// Folder groups lists.
type Folder struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	TotalSubscribers  int64  `json:"totalSubscribers"`
	TotalBlacklisted  int64  `json:"totalBlacklisted"`
	UniqueSubscribers int64  `json:"uniqueSubscribers"`
}

func clampPage(limit int) int {
	if limit <= 0 || limit > MaxListPage {
		return MaxListPage
	}
	return limit
}

// Lists reads one page of lists and the total count.
func (c *Client) Lists(ctx context.Context, offset, limit int) ([]List, int64, error) {
	var out struct {
		Lists []listWire `json:"lists"`
		Count int64      `json:"count"`
	}
	_, err := c.do(ctx, request{op: "lists.list", method: http.MethodGet, path: "/contacts/lists",
		query: pageQuery(offset, clampPage(limit))}, &out)
	if err != nil {
		return nil, 0, err
	}
	lists := make([]List, len(out.Lists))
	for i, w := range out.Lists {
		lists[i] = w.list()
	}
	return lists, out.Count, nil
}

// AllLists pages through every list of the account.
func (c *Client) AllLists(ctx context.Context) ([]List, error) {
	return collect(func(offset int) ([]List, int64, error) { return c.Lists(ctx, offset, MaxListPage) })
}

// collect pages until a short page or the reported count is reached.
func collect[T any](page func(offset int) ([]T, int64, error)) ([]T, error) {
	var all []T
	for {
		items, count, err := page(len(all))
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if len(items) < MaxListPage || int64(len(all)) >= count {
			return all, nil
		}
	}
}

// GetList reads one list; KindNotFound when it does not exist.
func (c *Client) GetList(ctx context.Context, id int64) (List, error) {
	var w listWire
	if _, err := c.do(ctx, request{op: "lists.get", method: http.MethodGet, path: "/contacts/lists/" + strconv.FormatInt(id, 10)}, &w); err != nil {
		return List{}, err
	}
	return w.list(), nil
}

// CreateList creates a list in a folder (Brevo requires both).
func (c *Client) CreateList(ctx context.Context, name string, folderID int64) (int64, error) {
	const op = "lists.create"
	if strings.TrimSpace(name) == "" || folderID <= 0 {
		return 0, invalidArgument(op, "a list needs a name and a folder id")
	}
	var out struct {
		ID int64 `json:"id"`
	}
	body := map[string]any{"name": name, "folderId": folderID}
	if _, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/contacts/lists", body: body}, &out); err != nil {
		return 0, err
	}
	return out.ID, nil
}

// ListContactCount counts a list's members with a one-item page: the
// list's own counters are deprecated.
func (c *Client) ListContactCount(ctx context.Context, listID int64) (int64, error) {
	var out struct {
		Count int64 `json:"count"`
	}
	_, err := c.do(ctx, request{op: "lists.contacts", method: http.MethodGet,
		path: "/contacts/lists/" + strconv.FormatInt(listID, 10) + "/contacts", query: pageQuery(0, 1)}, &out)
	return out.Count, err
}

// Folders reads one page of folders and the total count.
func (c *Client) Folders(ctx context.Context, offset, limit int) ([]Folder, int64, error) {
	var out struct {
		Folders []Folder `json:"folders"`
		Count   int64    `json:"count"`
	}
	_, err := c.do(ctx, request{op: "folders.list", method: http.MethodGet, path: "/contacts/folders",
		query: pageQuery(offset, clampPage(limit))}, &out)
	if err != nil {
		return nil, 0, err
	}
	return out.Folders, out.Count, nil
}

// AllFolders pages through every folder of the account.
func (c *Client) AllFolders(ctx context.Context) ([]Folder, error) {
	return collect(func(offset int) ([]Folder, int64, error) { return c.Folders(ctx, offset, MaxListPage) })
}

// CreateFolder creates a folder for lists.
func (c *Client) CreateFolder(ctx context.Context, name string) (int64, error) {
	const op = "folders.create"
	if strings.TrimSpace(name) == "" {
		return 0, invalidArgument(op, "a folder needs a name")
	}
	var out struct {
		ID int64 `json:"id"`
	}
	if _, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/contacts/folders",
		body: map[string]string{"name": name}}, &out); err != nil {
		return 0, err
	}
	return out.ID, nil
}

// Members names contacts for a list change by exactly one kind of
// identifier; Brevo refuses bodies that mix them.
type Members struct {
	Emails []string
	IDs    []int64
	ExtIDs []string
}

// ListChange reports per contact which list changes Brevo made.
// Identifiers are as sent (ids in decimal).
type ListChange struct {
	Success []string
	// Failure holds the contacts Brevo did not change: on add, contacts
	// already in the list or unknown to the account; on remove, contacts
	// not in the list or unknown. Brevo does not tell the two apart.
	Failure []string
	// Absent is, on remove, the same contacts as Failure: nothing was left
	// to remove, so after the call none of them is in the list. Empty on
	// add, where a failure does not mean the contact is a member.
	Absent []string
}

// AddToList adds existing contacts to a list, in calls of MaxListMembers.
// On an error the changes of earlier calls are returned with it.
func (c *Client) AddToList(ctx context.Context, listID int64, m Members) (ListChange, error) {
	return c.changeList(ctx, "lists.add", listID, "add", m)
}

// RemoveFromList removes contacts from a list, in calls of MaxListMembers.
// Contacts that are not in the list are no error: they come back in Absent.
// Brevo applies removals in the background (30-60 s observed), so a read
// right after may still show them.
func (c *Client) RemoveFromList(ctx context.Context, listID int64, m Members) (ListChange, error) {
	return c.changeList(ctx, "lists.remove", listID, "remove", m)
}

// When no contact of a call can be changed, Brevo refuses the whole call
// with a 400 instead of a 201 listing them all under failure; it is the
// same outcome. Observed wordings: "Contact already in list and/or does
// not exist" (add; older: "Contact is already present in the selected
// list or contact does not exist in account") and "Contact already
// removed from list and/or does not exist" (remove), each also with
// "Contacts". Case and the optional words are tolerated because the
// wording has drifted before.
var (
	nothingToAdd    = regexp.MustCompile(`(?i)\bcontacts?\s+(?:is\s+|are\s+)?already\s+(?:present\s+)?in\s+(?:the\s+)?(?:selected\s+)?list\b`)
	nothingToRemove = regexp.MustCompile(`(?i)\bcontacts?\s+(?:is\s+|are\s+)?already\s+removed\s+from\s+(?:the\s+)?(?:selected\s+)?list\b`)
)

// nothingChanged reports whether err is Brevo's whole-call refusal of a
// list change none of whose contacts could be changed.
func nothingChanged(err error, verb string) bool {
	var e *httpx.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
		return false
	}
	if verb == "add" {
		return nothingToAdd.MatchString(e.Message)
	}
	return nothingToRemove.MatchString(e.Message)
}

// memberBody is the identifier key and values of a list change.
func memberBody(m Members) (key string, ids []any, ok bool) {
	kinds := 0
	if len(m.Emails) > 0 {
		kinds, key = kinds+1, "emails"
		for _, e := range m.Emails {
			ids = append(ids, e)
		}
	}
	if len(m.IDs) > 0 {
		kinds, key = kinds+1, "ids"
		for _, id := range m.IDs {
			ids = append(ids, id)
		}
	}
	if len(m.ExtIDs) > 0 {
		kinds, key = kinds+1, "extIds"
		for _, e := range m.ExtIDs {
			ids = append(ids, e)
		}
	}
	return key, ids, kinds == 1
}

func (c *Client) changeList(ctx context.Context, op string, listID int64, verb string, m Members) (ListChange, error) {
	key, ids, ok := memberBody(m)
	if !ok {
		return ListChange{}, invalidArgument(op, "name the members by exactly one of emails, ids and extIds")
	}
	path := "/contacts/lists/" + strconv.FormatInt(listID, 10) + "/contacts/" + verb
	var res ListChange
	for start := 0; start < len(ids); start += MaxListMembers {
		chunk := ids[start:min(start+MaxListMembers, len(ids))]
		var out struct {
			Contacts struct {
				Success []json.RawMessage `json:"success"`
				Failure []json.RawMessage `json:"failure"`
			} `json:"contacts"`
		}
		_, err := c.do(ctx, request{op: op, method: http.MethodPost, path: path, body: map[string]any{key: chunk}}, &out)
		var failed []string
		switch {
		case nothingChanged(err, verb):
			for _, id := range chunk {
				failed = append(failed, attributeString(id))
			}
		case err != nil:
			return res, err
		default:
			res.Success = append(res.Success, rawStrings(out.Contacts.Success)...)
			failed = rawStrings(out.Contacts.Failure)
		}
		res.Failure = append(res.Failure, failed...)
		if verb == "remove" {
			res.Absent = append(res.Absent, failed...)
		}
	}
	return res, nil
}

// rawStrings renders identifiers that come back as strings or numbers.
func rawStrings(raw []json.RawMessage) []string {
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		var s string
		if json.Unmarshal(r, &s) == nil {
			out = append(out, s)
			continue
		}
		out = append(out, strings.TrimSpace(string(r)))
	}
	return out
}
