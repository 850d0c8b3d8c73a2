package brevo_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/sandbox"
)

func TestDeleteListKeepsItsContacts(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	list, err := e.client.CreateList(ctx(t), "scratch", 1)
	require.NoError(t, err)
	id, err := e.sb.Brevo().AddContact(sandbox.BrevoContact{Email: "a@example.com", ListIDs: []int64{1, list}})
	require.NoError(t, err)

	require.NoError(t, e.client.DeleteList(ctx(t), list))
	assert.Len(t, e.rec.matching(http.MethodDelete, "/contacts/lists/"+strconv.FormatInt(list, 10)), 1)
	_, err = e.client.GetList(ctx(t), list)
	requireKind(t, err, httpx.KindNotFound)
	c, ok := e.sb.Brevo().ContactByID(id)
	require.True(t, ok, "the contact stays")
	assert.Equal(t, []int64{1}, c.ListIDs)

	err = e.client.DeleteList(ctx(t), list)
	requireKind(t, err, httpx.KindNotFound)
}

func TestDeleteFolderDeletesItsLists(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	folder, err := e.client.CreateFolder(ctx(t), "scratch")
	require.NoError(t, err)
	list, err := e.client.CreateList(ctx(t), "scratch list", folder)
	require.NoError(t, err)

	require.NoError(t, e.client.DeleteFolder(ctx(t), folder))
	folders, err := e.client.AllFolders(ctx(t))
	require.NoError(t, err)
	for _, f := range folders {
		assert.NotEqual(t, folder, f.ID)
	}
	_, err = e.client.GetList(ctx(t), list)
	requireKind(t, err, httpx.KindNotFound)
	_, err = e.client.GetList(ctx(t), 1)
	require.NoError(t, err, "lists of other folders stay")

	err = e.client.DeleteFolder(ctx(t), folder)
	requireKind(t, err, httpx.KindNotFound)
}

func TestDeleteRefusesIDsThatCannotExist(t *testing.T) {
	e := newEnv(t, sandbox.Options{}, nil)
	requireKind(t, e.client.DeleteList(ctx(t), 0), httpx.KindValidation)
	requireKind(t, e.client.DeleteFolder(ctx(t), -1), httpx.KindValidation)
	assert.Empty(t, e.rec.all(), "refused before sending")
}
