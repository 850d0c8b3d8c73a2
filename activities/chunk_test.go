package activities_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

// testClock is a settable clock for the sandbox's Brevo: imports complete
// when it passes their delay.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func chunkFixture(t *testing.T, contacts int) (*fixture, *testClock, mapping.Spec, sandbox.SeedResult) {
	t.Helper()
	clock := &testClock{now: time.Now()}
	opts := fastOptions()
	opts.Brevo.ImportDelay = 10 * time.Second
	opts.Brevo.Now = clock.Now
	f := newFixture(t, fixtureConfig{opts: &opts})
	seed := f.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: contacts, Seed: 3})
	spec := mapping.Spec{Fields: []mapping.Field{
		{Property: "email", Attribute: mapping.AttrEmail, PropertyType: "string", FieldType: "text"},
		{Property: "phone", Attribute: mapping.AttrSMS, PropertyType: "string", FieldType: "phonenumber", AttributeType: "text"},
		{Property: "firstname", Attribute: "FIRSTNAME", PropertyType: "string", FieldType: "text", AttributeType: "text"},
		{Property: "lastname", Attribute: "LASTNAME", PropertyType: "string", FieldType: "text", AttributeType: "text"},
	}}
	return f, clock, spec, seed
}

func (f *fixture) chunk(t *testing.T, in activities.ChunkInput) activities.ChunkResult {
	t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.SyncChunk, in)
	require.NoError(t, err)
	var res activities.ChunkResult
	require.NoError(t, v.Get(&res))
	return res
}

func (f *fixture) confirm(t *testing.T, ids ...int64) []activities.ImportStatus {
	t.Helper()
	v, err := f.env.ExecuteActivity(f.acts.ConfirmImports, activities.ConfirmInput{Integration: "t", ProcessIDs: ids})
	require.NoError(t, err)
	var out []activities.ImportStatus
	require.NoError(t, v.Get(&out))
	return out
}

func hashed(t *testing.T, f *fixture, ids []string) int {
	t.Helper()
	recs, err := f.acts.Store.Records(context.Background(), "t", ids)
	require.NoError(t, err)
	n := 0
	for _, r := range recs {
		if r.Hash != "" {
			n++
		}
	}
	return n
}

func TestSyncChunkImportsAndSavesHashesOnlyOnConfirmation(t *testing.T) {
	f, clock, spec, seed := chunkFixture(t, 600)
	in := activities.ChunkInput{Integration: "t", HubSpotListID: seed.ListID, BrevoListID: 1, Spec: spec, Scan: 1, Pages: 4, ImportMin: 100}
	res := f.chunk(t, in)

	require.True(t, res.Last)
	require.Equal(t, 600, res.Members)
	require.Len(t, res.Imports, 1)
	imp := res.Imports[0]
	require.Greater(t, imp.Contacts, 500)
	require.Equal(t, imp.Contacts, imp.Created)
	bs := f.sb.Brevo().Stats()
	require.EqualValues(t, 1, bs.Endpoints["POST /v3/contacts/import"])
	require.LessOrEqual(t, bs.Endpoints["POST /v3/contacts"], int64(10), "only the odd contacts one by one")
	written := res.Written.Created + res.Written.Updated
	require.Equal(t, written, hashed(t, f, seed.ContactIDs), "only the contacts written one by one have a hash before confirmation")

	st := f.confirm(t, imp.ProcessID)
	require.False(t, st[0].Done, "Brevo has not processed the import yet")
	require.Equal(t, written, hashed(t, f, seed.ContactIDs))

	clock.Add(11 * time.Second)
	st = f.confirm(t, imp.ProcessID)
	require.True(t, st[0].Done)
	require.False(t, st[0].Failed)
	require.Zero(t, st[0].Rejected, st[0].Report)
	require.Equal(t, written+imp.Contacts, hashed(t, f, seed.ContactIDs))

	// Brevo holds what the mapping gives, ext_id and list included.
	members := map[int64]bool{}
	for _, c := range f.sb.Brevo().ListMembers(1) {
		members[c.ID] = true
	}
	checked := 0
	for _, id := range seed.ContactIDs {
		hc, _ := f.sb.HubSpot().Contact(id)
		want, skip := mapping.Map(spec, mapping.Record{ID: id, Properties: hc.Properties})
		if skip != nil || want.Email == "" {
			continue
		}
		got, ok := f.sb.Brevo().ContactByExtID(id)
		require.True(t, ok, "contact %s (%s) not in Brevo", id, want.Email)
		assert.Equal(t, want.Email, got.Email)
		assert.Equal(t, want.Attributes["FIRSTNAME"], got.Attributes["FIRSTNAME"])
		assert.True(t, members[got.ID], "contact %s not in the list", id)
		checked++
	}
	require.Greater(t, checked, 500)

	// A second pass finds nothing to write.
	again := f.chunk(t, activities.ChunkInput{Integration: "t", HubSpotListID: seed.ListID, BrevoListID: 1, Spec: spec, Scan: 2, Pages: 4, ImportMin: 100})
	require.Empty(t, again.Imports)
	require.Zero(t, again.Written.Created+again.Written.Updated)
	require.Equal(t, written+imp.Contacts, again.Written.Unchanged)
}

func TestSyncChunkBelowThresholdWritesOneByOne(t *testing.T) {
	f, _, spec, seed := chunkFixture(t, 120)
	res := f.chunk(t, activities.ChunkInput{Integration: "t", HubSpotListID: seed.ListID, BrevoListID: 1, Spec: spec, Scan: 1, Pages: 4, ImportMin: 200})
	require.Empty(t, res.Imports)
	bs := f.sb.Brevo().Stats()
	require.Zero(t, bs.Endpoints["POST /v3/contacts/import"])
	written := res.Written.Created + res.Written.Updated
	require.Greater(t, written, 100)
	require.Equal(t, written, hashed(t, f, seed.ContactIDs), "written one by one: confirmed at once")
}

func TestImportReportRejectionsReachTheOutcomes(t *testing.T) {
	f, clock, spec, seed := chunkFixture(t, 300)
	// Somebody else's Brevo contact holds the number of a seeded contact:
	// the import refuses that row.
	var victim mapping.Contact
	for _, id := range seed.ContactIDs {
		hc, _ := f.sb.HubSpot().Contact(id)
		c, skip := mapping.Map(spec, mapping.Record{ID: id, Properties: hc.Properties})
		if skip == nil && c.Email != "" && strings.HasPrefix(c.SMS(), "+") {
			victim = c
			break
		}
	}
	require.NotEmpty(t, victim.ExtID)
	_, err := f.acts.Brevo.UpsertContact(context.Background(), brevo.ContactUpsert{
		Email: "someone.else@example.com", Attributes: map[string]any{mapping.AttrSMS: victim.SMS()}, UpdateEnabled: true,
	})
	require.NoError(t, err)

	res := f.chunk(t, activities.ChunkInput{Integration: "t", HubSpotListID: seed.ListID, BrevoListID: 1, Spec: spec, Scan: 1, Pages: 2, ImportMin: 100})
	require.Len(t, res.Imports, 1)
	clock.Add(11 * time.Second)
	st := f.confirm(t, res.Imports[0].ProcessID)
	require.True(t, st[0].Done)
	require.Equal(t, 1, st[0].Rejected)
	require.Contains(t, st[0].Report, "duplicate_phone_id 1")
	before := res.Written.Created + res.Written.Updated
	require.Equal(t, before, hashed(t, f, seed.ContactIDs), "no hash saved for a partly refused import")

	// The workflow then writes the import's contacts one by one: the
	// refused one is written without its number, with the reason.
	v, err := f.env.ExecuteActivity(f.acts.RewriteImport, activities.RewriteInput{Integration: "t", BrevoListID: 1, ProcessID: res.Imports[0].ProcessID})
	require.NoError(t, err)
	var rw activities.UpsertResult
	require.NoError(t, v.Get(&rw))
	require.Equal(t, res.Imports[0].Contacts, rw.Created+rw.Updated+rw.Failed)
	outs, err := f.acts.Store.FindOutcome(context.Background(), "t", victim.ExtID)
	require.NoError(t, err)
	require.NotEmpty(t, outs)
	require.Equal(t, mapping.ReasonDuplicateSMS, outs[0].Reason, "%+v", outs)
	got, ok := f.sb.Brevo().ContactByExtID(victim.ExtID)
	require.True(t, ok)
	require.Equal(t, victim.Email, got.Email)
	require.Equal(t, before+rw.Created+rw.Updated, hashed(t, f, seed.ContactIDs))
	pending, err := f.acts.Store.PendingContacts(context.Background(), "t", res.Imports[0].ProcessID)
	require.NoError(t, err)
	require.Empty(t, pending)
}
