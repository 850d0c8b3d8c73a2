package brevo_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/sandbox"
)

func TestListContactsReadsBackWhatWasWritten(t *testing.T) {
	for _, topLevel := range []bool{false, true} {
		now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
		e := newEnv(t, sandbox.Options{Brevo: sandbox.BrevoOptions{ContactExtIDTopLevel: topLevel, Now: func() time.Time { return now }}}, nil)
		b := e.sb.Brevo()
		listID, err := e.client.CreateList(ctx(t), "HubSpot: all", 1)
		require.NoError(t, err)
		_, err = b.AddContact(sandbox.BrevoContact{Email: "old@example.com", ListIDs: []int64{listID}})
		require.NoError(t, err)
		now = now.Add(time.Minute)
		_, err = e.client.UpsertContact(ctx(t), brevo.ContactUpsert{Email: "new@example.com", ExtID: "hs-2",
			Attributes: map[string]any{"SMS": "+33612345678", "FIRSTNAME": "New"}, ListIDs: []int64{listID},
			EmailBlacklisted: brevo.Bool(true)})
		require.NoError(t, err)
		_, err = b.AddContact(sandbox.BrevoContact{Email: "elsewhere@example.com"})
		require.NoError(t, err)

		e.rec.reset()
		page, total, err := e.client.ListContacts(ctx(t), brevo.ContactQuery{ListID: listID, ModifiedSince: now.Add(-time.Second).In(time.FixedZone("CEST", 7200)), Sort: brevo.SortAsc})
		require.NoError(t, err)
		q, err := url.ParseQuery(e.rec.last(t).Query)
		require.NoError(t, err)
		assert.Equal(t, "2026-05-04T10:00:59.000Z", q.Get("modifiedSince"), "UTC with milliseconds")
		assert.Equal(t, itoa(int(listID)), q.Get("listIds"))
		assert.Equal(t, "1000", q.Get("limit"))
		require.EqualValues(t, 1, total, "topLevel=%v", topLevel)
		require.Len(t, page, 1)
		c := page[0]
		assert.Equal(t, "new@example.com", c.Email)
		assert.Equal(t, "hs-2", c.ExtID, "topLevel=%v", topLevel)
		assert.Equal(t, "33612345678", c.SMS)
		assert.Equal(t, brevo.NormalizeSMS("+33 6 12 34 56 78"), c.SMS)
		assert.Equal(t, "New", c.Attributes["FIRSTNAME"])
		assert.True(t, c.EmailBlacklisted)
		assert.False(t, c.SMSBlacklisted)
		assert.Equal(t, []int64{listID}, c.ListIDs)
		assert.Equal(t, now, c.ModifiedAt)

		all, err := e.client.AllContacts(ctx(t), brevo.ContactQuery{})
		require.NoError(t, err)
		require.Len(t, all, 3)
		assert.Equal(t, "old@example.com", all[0].Email, "oldest first")
	}
}

func TestListContactsPagesAndRefusesBadQueries(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	for i := 0; i < 5; i++ {
		_, err := e.sb.Brevo().AddContact(sandbox.BrevoContact{Email: "p" + itoa(i) + "@example.com"})
		require.NoError(t, err)
	}
	page, total, err := e.client.ListContacts(ctx(t), brevo.ContactQuery{Limit: 2, Offset: 2})
	require.NoError(t, err)
	assert.EqualValues(t, 5, total)
	require.Len(t, page, 2)
	assert.Equal(t, "p2@example.com", page[0].Email, "Brevo's default order is newest first")

	e.rec.reset()
	for _, q := range []brevo.ContactQuery{{Limit: 1001}, {Offset: -1}, {Sort: "newest"}} {
		_, _, err := e.client.ListContacts(ctx(t), q)
		requireKind(t, err, httpx.KindValidation)
	}
	assert.Empty(t, e.rec.all(), "refused before sending")
	_, _, err = e.client.ListContacts(ctx(t), brevo.ContactQuery{ListID: 999})
	requireKind(t, err, httpx.KindNotFound)
}

func TestContactExtIDIsReadWhereverBrevoPutsIt(t *testing.T) {
	for body, want := range map[string]string{
		`{"id":1,"ext_id":"hs-1","attributes":{}}`:                           "hs-1",
		`{"id":1,"extId":"hs-2","attributes":{}}`:                            "hs-2",
		`{"id":1,"attributes":{"EXT_ID":"hs-3"}}`:                            "hs-3",
		`{"id":1,"attributes":{"EXT_ID":12345}}`:                             "12345",
		`{"id":1,"ext_id":"","attributes":{"EXT_ID":"hs-5"}}`:                "hs-5",
		`{"id":1,"attributes":{"SMS":"0033612345678"}}`:                      "",
		`{"id":1,"ext_id":null,"attributes":{"EXT_ID":null,"SMS":"336123"}}`: "",
	} {
		c, err := cannedClient(t, 200, body, nil).GetContact(ctx(t), "1", brevo.IdentifierContactID)
		require.NoError(t, err)
		assert.Equal(t, want, c.ExtID, body)
	}
	c, err := cannedClient(t, 200, `{"id":1,"attributes":{"SMS":"0033612345678"}}`, nil).GetContact(ctx(t), "1", "")
	require.NoError(t, err)
	assert.Equal(t, "33612345678", c.SMS)
}

func TestDeleteContact(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	_, err := e.sb.Brevo().AddContact(sandbox.BrevoContact{Email: "gone@example.com", ExtID: "hs-1"})
	require.NoError(t, err)
	require.NoError(t, e.client.DeleteContact(ctx(t), "hs-1", brevo.IdentifierExtID))
	assert.Equal(t, "identifierType=ext_id", e.rec.last(t).Query)
	_, found := e.sb.Brevo().ContactByEmail("gone@example.com")
	assert.False(t, found)
	err = e.client.DeleteContact(ctx(t), "hs-1", brevo.IdentifierExtID)
	requireKind(t, err, httpx.KindNotFound)
	requireKind(t, e.client.DeleteContact(ctx(t), "", brevo.IdentifierExtID), httpx.KindValidation)
}

func TestNextPage(t *testing.T) {
	full := make([]brevo.Contact, brevo.MaxContactPage)
	q := brevo.ContactQuery{}
	if !q.NextPage(full, 2500) || q.Offset != 1000 {
		t.Fatalf("after a full first page of 2,500: more and offset 1000, got offset %d", q.Offset)
	}
	if q.NextPage(full[:500], 2500) || q.Offset != 1500 {
		t.Fatalf("a short page ends the listing (offset %d)", q.Offset)
	}
	q = brevo.ContactQuery{Limit: 2}
	if q.NextPage(full[:2], 2) {
		t.Fatal("the count ends the listing")
	}
	if q = (brevo.ContactQuery{Limit: 2}); !q.NextPage(full[:2], 3) {
		t.Fatal("a full page below the count goes on")
	}
}
