package brevo_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/sandbox"
)

// cannedClient is a client of a server that gives every request the same
// answer.
func cannedClient(t *testing.T, status int, body string, headers map[string]string) *brevo.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := brevo.New(brevo.Config{BaseURL: srv.URL + "/v3", APIKey: "k", Governor: brevo.NewGovernor(fastLimits, nil)})
	require.NoError(t, err)
	return c
}

func TestRemoveFromListTreatsNothingToRemoveAsAbsent(t *testing.T) {
	for _, msg := range []string{
		"Contact already removed from list and/or does not exist",
		"Contacts already removed from list and/or do not exist",
		"Contacts already removed from list and/or does not exist",
		"contact already removed from the list and/or does not exist",
		"CONTACTS ARE ALREADY REMOVED FROM LIST",
	} {
		t.Run(msg, func(t *testing.T) {
			c := cannedClient(t, 400, `{"code":"invalid_parameter","message":"`+msg+`"}`, nil)
			ch, err := c.RemoveFromList(ctx(t), 7, brevo.Members{ExtIDs: []string{"hs-1", "hs-2"}})
			require.NoError(t, err)
			assert.Empty(t, ch.Success)
			assert.Equal(t, []string{"hs-1", "hs-2"}, ch.Absent)
			assert.Equal(t, []string{"hs-1", "hs-2"}, ch.Failure)
		})
	}
}

func TestAddToListTreatsNothingToAddAsFailures(t *testing.T) {
	for _, msg := range []string{
		"Contact already in list and/or does not exist",
		"Contacts already in list and/or do not exist",
		"contact ALREADY in the list",
		"Contact is already present in the selected list or contact does not exist in account",
	} {
		t.Run(msg, func(t *testing.T) {
			c := cannedClient(t, 400, `{"code":"invalid_parameter","message":"`+msg+`"}`, nil)
			ch, err := c.AddToList(ctx(t), 7, brevo.Members{IDs: []int64{11, 12}})
			require.NoError(t, err)
			assert.Equal(t, []string{"11", "12"}, ch.Failure)
			assert.Empty(t, ch.Absent, "a failed add does not make anyone a member")
		})
	}
}

// The wordings are told apart: an add is not excused by the remove
// message, nor a remove by the add message, nor either by other 400s.
func TestListChangeOtherRefusalsStayErrors(t *testing.T) {
	cases := []struct {
		msg    string
		remove bool
	}{
		{"Contact already in list and/or does not exist", true},
		{"Contact already removed from list and/or does not exist", false},
		{"List contains invalid email addresses", true},
		{"List contains invalid email addresses", false},
	}
	for _, tc := range cases {
		c := cannedClient(t, 400, `{"code":"invalid_parameter","message":"`+tc.msg+`"}`, nil)
		var err error
		if tc.remove {
			_, err = c.RemoveFromList(ctx(t), 7, brevo.Members{Emails: []string{"a@example.com"}})
		} else {
			_, err = c.AddToList(ctx(t), 7, brevo.Members{Emails: []string{"a@example.com"}})
		}
		requireKind(t, err, httpx.KindValidation)
	}
}

func TestRemoveFromListAgainstSandbox(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	b := e.sb.Brevo()
	for _, x := range []string{"hs-1", "hs-2"} {
		_, err := b.AddContact(sandbox.BrevoContact{ExtID: x, ListIDs: []int64{1}})
		require.NoError(t, err)
	}
	ch, err := e.client.RemoveFromList(ctx(t), 1, brevo.Members{ExtIDs: []string{"hs-1", "hs-9"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"hs-1"}, ch.Success)
	assert.Equal(t, []string{"hs-9"}, ch.Absent)

	// Nothing left to remove: the sandbox answers 400 like Brevo.
	ch, err = e.client.RemoveFromList(ctx(t), 1, brevo.Members{ExtIDs: []string{"hs-1", "hs-9"}})
	require.NoError(t, err)
	assert.Empty(t, ch.Success)
	assert.Equal(t, []string{"hs-1", "hs-9"}, ch.Absent)
	assert.Len(t, b.ListMembers(1), 1)
}

// A removal split into calls mixes Brevo's two answers: a call with
// nothing to remove (400) and a partial one (201).
func TestRemoveFromListAcrossCalls(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	var extIDs []string
	for i := 0; i < 160; i++ {
		extIDs = append(extIDs, "hs-"+itoa(i))
	}
	for _, x := range extIDs[155:] {
		_, err := e.sb.Brevo().AddContact(sandbox.BrevoContact{ExtID: x, ListIDs: []int64{1}})
		require.NoError(t, err)
	}
	ch, err := e.client.RemoveFromList(ctx(t), 1, brevo.Members{ExtIDs: extIDs})
	require.NoError(t, err)
	assert.Equal(t, extIDs[155:], ch.Success)
	assert.Equal(t, extIDs[:155], ch.Absent)
	assert.Len(t, e.rec.matching(http.MethodPost, "/contacts/remove"), 2)
	assert.Empty(t, e.sb.Brevo().ListMembers(1))
}
