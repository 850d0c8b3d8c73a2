package activities_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
	"hubspot-brevo-sync/internal/store"
)

// TestRowsAnImportWouldGetWrongGoOneByOne: in a batch large enough for
// an import, a member without email (an import row is known by its
// email), two members sharing a phone, and one with a national number
// each end as the one-by-one path writes them; all are counted once.
func TestRowsAnImportWouldGetWrongGoOneByOne(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ms := f.addMembers(t, 0, 60)
	h := f.sb.HubSpot()
	ms[0].Email = ""
	require.NoError(t, h.UpdateContact(ms[0].ID, map[string]string{"email": ""}))
	ms[2].Phone = ms[1].Phone
	require.NoError(t, h.UpdateContact(ms[2].ID, map[string]string{"phone": ms[2].Phone}))
	require.NoError(t, h.UpdateContact(ms[3].ID, map[string]string{"phone": "01512345678"}))

	res := f.mustSync(t, f.input(1, 1, members()))
	require.NotNil(t, res.Sent)
	assert.Equal(t, 60, res.Sent.Contacts+res.Written.Created, "imported, or written one by one by this batch")
	conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
	created, updated, failed := tally(res, conf)
	assert.Equal(t, 60, created)
	assert.Zero(t, updated)
	assert.Zero(t, failed)

	smsOnly, ok := f.sb.Brevo().ContactByExtID(ms[0].ID)
	require.True(t, ok)
	assert.Empty(t, smsOnly.Email)
	assert.Equal(t, ms[0].sms(), smsOnly.SMS)
	// One of the two sharing a phone holds it, the other is written
	// without it and says why.
	var holders int
	for _, m := range ms[1:3] {
		c, ok := f.sb.Brevo().ContactByExtID(m.ID)
		require.True(t, ok)
		assert.Equal(t, m.Email, c.Email)
		assert.Contains(t, c.ListIDs, brevoList)
		if c.SMS == m.sms() {
			holders++
		} else {
			assert.Empty(t, c.SMS)
			assert.Contains(t, reasons(problemsByID(res, conf)[m.ID]), mapping.ReasonDuplicateSMS)
		}
	}
	assert.Equal(t, 1, holders, "exactly one holds the shared number")
	national, ok := f.sb.Brevo().ContactByExtID(ms[3].ID)
	require.True(t, ok)
	assert.Equal(t, ms[3].Email, national.Email)
	for _, m := range ms[4:] {
		f.requireSynced(t, m)
	}
	assert.Len(t, f.sb.Brevo().Contacts(), 60)
}

// TestQuotaShortImport: granted 55 of 60, the batch imports 55, says
// QuotaShort, and commits 55 once they are confirmed; the next batch of
// the same page writes the other 5.
func TestQuotaShortImport(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	f.quota = newFakeQuota(55)
	f.acts.Quota = f.quota
	ms := f.addMembers(t, 0, 60)
	in := f.input(1, 1, members())
	res := f.mustSync(t, in)
	assert.True(t, res.QuotaShort)
	assert.False(t, res.Last)
	assert.Empty(t, res.Position)
	require.NotNil(t, res.Sent)
	assert.Equal(t, 55, res.Sent.Contacts)
	conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
	created, _, _ := tally(conf)
	assert.Equal(t, 55, created)
	spent, _ := f.quota.spent(in.Reservation)
	assert.EqualValues(t, 55, spent)

	f.quota.mu.Lock()
	f.quota.limit = 1000
	f.quota.mu.Unlock()
	rest := f.mustSync(t, f.input(1, 3, members()))
	assert.False(t, rest.QuotaShort)
	assert.Nil(t, rest.Sent)
	assert.Equal(t, 5, rest.Written.Created)
	for _, m := range ms {
		f.requireSynced(t, m)
	}
	assert.EqualValues(t, 60, f.quota.total())
}

// TestMembersPagesMoveThePosition: 300 members read one page (250) a
// batch: the first batch ends with a position and is not the last, the
// second goes on from it; every member is written once.
func TestMembersPagesMoveThePosition(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ms := f.addMembers(t, 0, 300)
	src := activities.Source{Phase: integration.PhaseMembers, Pages: 1}
	first := f.mustSync(t, f.input(1, 1, src))
	assert.Equal(t, activities.MembersPerPage, first.Members)
	assert.Equal(t, 300, first.ListSize)
	assert.False(t, first.Last)
	require.NotEmpty(t, first.Position)
	require.NotNil(t, first.Sent)

	src.Position = first.Position
	in := f.input(1, 2, src)
	in.Imports, in.MustConfirm = []integration.Import{*first.Sent}, 1
	second := f.mustSync(t, in)
	assert.Equal(t, 50, second.Members)
	assert.True(t, second.Last)
	require.Len(t, second.Confirmed, 1, "the second batch confirms the first's import")
	var imports []integration.Import
	if second.Sent != nil {
		imports = append(imports, *second.Sent)
	}
	conf := f.mustSync(t, f.confirming(1, 3, imports...))
	created, updated, failed := tally(first, second, conf)
	assert.Equal(t, 300, created)
	assert.Zero(t, updated)
	assert.Zero(t, failed)
	for _, m := range ms {
		f.requireSynced(t, m)
	}
	assert.Len(t, f.sb.Brevo().Contacts(), 300)
}

// TestRetryWithoutHeartbeatSendsTheImportAgain: the attempt that sent
// the import died without its heartbeat reaching Temporal. The retry
// cannot know that import: it drops its rows and imports again. Brevo
// ends with one contact per member, and the batch's reservation is
// charged 60, once.
func TestRetryWithoutHeartbeatSendsTheImportAgain(t *testing.T) {
	fw := &failWrites{}
	f := newFixture(t, fixtureConfig{wrap: fw.wrap})
	ms := f.addMembers(t, 0, 60)
	for i, m := range ms[:2] {
		_, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: fmt.Sprintf("holder%d@example.com", i), SMS: m.Phone})
		require.NoError(t, err)
	}
	in := f.input(1, 1, members())
	fw.armed.Store(true)
	_, _ = f.sync(t, in) // fails, or its completion is lost
	fw.armed.Store(false)

	res := f.mustSync(t, in) // no heartbeat details
	require.NotNil(t, res.Sent)
	assert.Len(t, f.sb.Brevo().Processes(), 2, "a second import")
	conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
	created, updated, failed := tally(res, conf)
	assert.Equal(t, 60, created+updated)
	assert.Zero(t, failed)
	spent, _ := f.quota.spent(in.Reservation)
	assert.EqualValues(t, 60, spent)
	for _, m := range ms[2:] {
		f.requireSynced(t, m)
	}
	assert.Len(t, f.sb.Brevo().Contacts(), 62)
}

// TestFailedImportIsWrittenOneByOne: an import Brevo fails or cancels
// applies no row; once its process says so, the confirmation writes
// every row one by one and counts each once.
func TestFailedImportIsWrittenOneByOne(t *testing.T) {
	for _, outcome := range []string{sandbox.BrevoImportFailed, sandbox.BrevoImportCancelled} {
		t.Run(outcome, func(t *testing.T) {
			opts := fastOptions()
			opts.Brevo.ImportOutcome = outcome
			f := newFixture(t, fixtureConfig{opts: &opts})
			ms := f.addMembers(t, 0, 60)
			in := f.input(1, 1, members())
			res := f.mustSync(t, in)
			require.NotNil(t, res.Sent)
			conf := f.confirming(1, 2, *res.Sent)
			conf.ImportTimeout = time.Millisecond // ask the process at once
			cres := f.mustSync(t, conf)
			require.Len(t, cres.Confirmed, 1)
			assert.Equal(t, 60, cres.Confirmed[0].Created)
			assert.Zero(t, cres.Confirmed[0].Failed)
			assert.Contains(t, reasons(cres.Problems), activities.ReasonImportRepaired)
			spent, _ := f.quota.spent(in.Reservation)
			assert.EqualValues(t, 60, spent)
			for _, m := range ms {
				f.requireSynced(t, m)
			}
		})
	}
}

// TestMembersArchivedAfterTheMembershipRead: a contact archived between
// the memberships call and the batch read (someone deleted it while the
// page was read) is counted missing, not written.
func TestMembersArchivedAfterTheMembershipRead(t *testing.T) {
	var victim string
	var once sync.Once
	f := newFixture(t, fixtureConfig{wrap: func(sb *sandbox.Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/batch/read") {
				once.Do(func() {
					if err := sb.HubSpot().ArchiveContact(victim); err != nil {
						t.Errorf("archive %s: %v", victim, err)
					}
				})
			}
			sb.ServeHTTP(w, r)
		})
	}})
	ms := f.addMembers(t, 0, 10)
	victim = ms[4].ID
	res := f.mustSync(t, f.input(1, 1, members()))
	assert.Equal(t, 10, res.Members, "the membership read still listed the contact")
	assert.Equal(t, 1, res.Missing)
	assert.Equal(t, 9, res.Written.Created)
	_, ok := f.sb.Brevo().ContactByExtID(victim)
	assert.False(t, ok)
}

// TestPerContactRefusalsDoNotStopTheBatch: Brevo refuses one contact's
// value (a text for a boolean attribute) and the mapping leaves out
// another's (not a number): the first fails with Brevo's reason, the
// second is written with a note, and the batch goes on, one by one or
// imported.
func TestPerContactRefusalsDoNotStopTheBatch(t *testing.T) {
	for _, n := range []int{5, 60} {
		t.Run(fmt.Sprintf("%d contacts", n), func(t *testing.T) {
			f := newFixture(t, fixtureConfig{})
			require.NoError(t, f.sb.Brevo().CreateAttribute(sandbox.BrevoAttribute{Name: "VIP", Category: "normal", Type: "boolean"}))
			require.NoError(t, f.sb.Brevo().CreateAttribute(sandbox.BrevoAttribute{Name: "REVENUE", Category: "normal", Type: "float"}))
			ms := f.addMembers(t, 0, n)
			h := f.sb.HubSpot()
			require.NoError(t, h.UpdateContact(ms[1].ID, map[string]string{"company": "yes"}))
			require.NoError(t, h.UpdateContact(ms[2].ID, map[string]string{"jobtitle": "lots"}))
			in := f.input(1, 1, members())
			in.Mapping.Fields = append(slices.Clone(testSpec.Fields),
				mapping.Field{Property: "company", Attribute: "VIP", PropertyType: "string", FieldType: "text", AttributeType: "text"},
				mapping.Field{Property: "jobtitle", Attribute: "REVENUE", PropertyType: "string", FieldType: "text", AttributeType: "float"})
			res := f.mustSync(t, in)
			results := []activities.BatchResult{res}
			if res.Sent != nil {
				conf := f.confirming(1, 2, *res.Sent)
				conf.Mapping = in.Mapping
				results = append(results, f.mustSync(t, conf))
			}
			created, updated, failed := tally(results...)
			assert.Equal(t, n-1, created)
			assert.Zero(t, updated)
			assert.Equal(t, 1, failed)
			problems := problemsByID(results...)
			assert.Equal(t, []string{mapping.OutcomeFailed}, kinds(problems[ms[1].ID]))
			assert.Equal(t, []string{mapping.ReasonRejected}, reasons(problems[ms[1].ID]))
			assert.Contains(t, reasons(problems[ms[2].ID]), mapping.ReasonInvalidValue)
			outs, err := f.st.FindOutcome(t.Context(), "t", ms[1].ID)
			require.NoError(t, err)
			require.Len(t, outs, 1)
			assert.Equal(t, mapping.OutcomeFailed, outs[0].Kind)
			assert.Contains(t, outs[0].Detail, "VIP")
			for i, m := range ms {
				if i != 1 {
					f.requireSynced(t, m)
				}
			}
			written, ok := f.sb.Brevo().ContactByExtID(ms[2].ID)
			require.True(t, ok)
			assert.NotContains(t, written.Attributes, "REVENUE")
		})
	}
}

// TestTypedAttributesComeBackEqual: an import of contacts with a value of
// every attribute type (number, boolean, date, category, multiple choice)
// reads back equal to what was sent: nothing is written again one by one.
// (Brevo keeps EXT_ID here, so only the values could differ.)
func TestTypedAttributesComeBackEqual(t *testing.T) {
	opts := fastOptions()
	opts.Brevo.ImportKeepsExtID = true
	f := newFixture(t, fixtureConfig{opts: &opts})
	bv := f.sb.Brevo()
	for _, a := range []sandbox.BrevoAttribute{
		{Name: "REVENUE", Category: "normal", Type: "float"},
		{Name: "NEWSLETTER", Category: "normal", Type: "boolean"},
		{Name: "BIRTHDAY", Category: "normal", Type: "date"},
		{Name: "STAGE", Category: "category", Enumeration: []sandbox.BrevoEnumValue{{Value: 1, Label: "Customer"}, {Value: 2, Label: "Lead"}}},
		{Name: "INTERESTS", Category: "normal", Type: "multiple-choice", MultiCategoryOptions: []string{"Sports", "Music", "Travel"}},
	} {
		require.NoError(t, bv.CreateAttribute(a))
	}
	ms := f.addMembers(t, 0, 60)
	for i, m := range ms {
		stage, interests := "customer", "sports;music"
		if i%2 == 1 {
			stage, interests = "lead", "travel"
		}
		require.NoError(t, f.sb.HubSpot().UpdateContact(m.ID, map[string]string{
			"annual_revenue": fmt.Sprintf("%d.5", 1000+i), "newsletter_opt_in": fmt.Sprint(i%3 == 0),
			"date_of_birth": fmt.Sprintf("1990-01-%02d", 1+i%28), "lifecyclestage": stage, "interests": interests,
		}))
	}
	in := f.input(1, 1, members())
	in.Mapping.Fields = append(slices.Clone(testSpec.Fields),
		mapping.Field{Property: "annual_revenue", Attribute: "REVENUE", PropertyType: "number", FieldType: "number", AttributeType: "float"},
		mapping.Field{Property: "newsletter_opt_in", Attribute: "NEWSLETTER", PropertyType: "bool", FieldType: "booleancheckbox", AttributeType: "boolean"},
		mapping.Field{Property: "date_of_birth", Attribute: "BIRTHDAY", PropertyType: "date", FieldType: "date", AttributeType: "date"},
		mapping.Field{Property: "lifecyclestage", Attribute: "STAGE", PropertyType: "enumeration", FieldType: "select", AttributeType: "category",
			Categories: map[string]int{"customer": 1, "lead": 2}},
		mapping.Field{Property: "interests", Attribute: "INTERESTS", PropertyType: "enumeration", FieldType: "checkbox", AttributeType: "multiple-choice",
			Labels: map[string]string{"sports": "Sports", "music": "Music", "travel": "Travel"}, Choices: []string{"Sports", "Music", "Travel"}})
	res := f.mustSync(t, in)
	require.NotNil(t, res.Sent)
	assert.Equal(t, 60, res.Sent.Contacts)
	bv.Processes() // the emulator applies the import when next asked
	writes := bv.Stats().ContactWrites
	conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
	require.Len(t, conf.Confirmed, 1)
	assert.Equal(t, 60, conf.Confirmed[0].Created)
	assert.NotContains(t, reasons(conf.Problems), activities.ReasonImportRepaired, "no row came back different")
	assert.Zero(t, bv.Stats().ContactWrites-writes, "the confirmation writes nothing")
	assert.Empty(t, conf.Problems)

	c, ok := bv.ContactByExtID(ms[0].ID)
	require.True(t, ok)
	assert.Equal(t, 1000.5, c.Attributes["REVENUE"])
	assert.Equal(t, true, c.Attributes["NEWSLETTER"])
	assert.Equal(t, "1990-01-01", c.Attributes["BIRTHDAY"])
	assert.EqualValues(t, 1, c.Attributes["STAGE"])
	assert.ElementsMatch(t, []string{"Sports", "Music"}, c.Attributes["INTERESTS"])

	// The next pass finds every contact unchanged.
	in2 := f.input(2, 1, members())
	in2.Mapping = in.Mapping
	next := f.mustSync(t, in2)
	assert.Equal(t, 60, next.Written.Unchanged)
}

// TestImportsInFlightAcrossBatches: three pages of members, each batch
// sending its import while carrying the earlier ones (two may be in
// flight, so each batch need confirm only the oldest beyond that); a last
// batch confirms the rest. Every member is counted once and each batch's
// reservation is charged its own contacts.
func TestImportsInFlightAcrossBatches(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ms := f.addMembers(t, 0, 2*activities.MembersPerPage+60)
	var inFlight []integration.Import
	var results []activities.BatchResult
	src := activities.Source{Phase: integration.PhaseMembers, Pages: 1}
	for seq := 1; ; seq++ {
		require.Less(t, seq, 10)
		in := f.input(1, seq, src)
		in.Imports, in.MustConfirm = inFlight, max(len(inFlight)-1, 0)
		res := f.mustSync(t, in)
		results = append(results, res)
		confirmed := map[int64]bool{}
		for _, c := range res.Confirmed {
			confirmed[c.ProcessID] = true
		}
		var still []integration.Import
		for _, imp := range inFlight {
			if !confirmed[imp.ProcessID] {
				still = append(still, imp)
			}
		}
		assert.LessOrEqual(t, len(still), 1, "at most the newest earlier import stays in flight")
		inFlight = still
		if res.Sent != nil {
			inFlight = append(inFlight, *res.Sent)
		}
		if res.Last {
			break
		}
		src.Position = res.Position
	}
	conf := f.mustSync(t, f.confirming(1, 10, inFlight...))
	results = append(results, conf)
	created, updated, failed := tally(results...)
	assert.Equal(t, len(ms), created)
	assert.Zero(t, updated)
	assert.Zero(t, failed)
	for _, m := range ms {
		f.requireSynced(t, m)
	}
	for seq, want := range map[int]int64{1: 250, 2: 250, 3: 60} {
		spent, ok := f.quota.spent(fmt.Sprintf("t/run/1/%d", seq))
		assert.True(t, ok, "batch %d committed", seq)
		assert.Equal(t, want, spent, "batch %d", seq)
	}
}

// TestTwoIntegrationsShareOneBrevoAccount: two integrations sync lists
// that overlap into two Brevo lists of the same account. The second finds
// the contacts the first wrote (through the account's identity index) and
// updates them into its own list instead of duplicating them.
func TestTwoIntegrationsShareOneBrevoAccount(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ms := f.addMembers(t, 0, 90)
	secondList, err := f.sb.HubSpot().CreateList("Second")
	require.NoError(t, err)
	for _, m := range ms[30:] {
		require.NoError(t, f.sb.HubSpot().AddToList(secondList, m.ID))
	}
	for _, m := range ms[60:] {
		require.NoError(t, f.sb.HubSpot().RemoveFromList(f.listID, m.ID))
	}
	otherBrevoList, err := f.sb.Brevo().CreateList("Second", 1)
	require.NoError(t, err)

	sync := func(in activities.BatchInput) (created, updated int) {
		t.Helper()
		res := f.mustSync(t, in)
		results := []activities.BatchResult{res}
		if res.Sent != nil {
			conf := f.confirming(in.Pass, 2, *res.Sent)
			conf.Integration, conf.BrevoListID, conf.Reservation = in.Integration, in.BrevoListID, in.Integration+"/confirm"
			results = append(results, f.mustSync(t, conf))
		}
		c, u, failed := tally(results...)
		assert.Zero(t, failed)
		return c, u
	}
	created, updated := sync(f.input(1, 1, members()))
	assert.Equal(t, 60, created)
	assert.Zero(t, updated)

	in := f.input(1, 1, members())
	in.Integration, in.HubSpotListID, in.BrevoListID, in.Reservation = "second", secondList, otherBrevoList, "second/run/1/1"
	created, updated = sync(in)
	assert.Equal(t, 30, created, "members of the second list only")
	assert.Equal(t, 30, updated, "members of both lists, written by the first")

	assert.Len(t, f.sb.Brevo().Contacts(), 90, "one contact per HubSpot record")
	for i, m := range ms {
		c, ok := f.sb.Brevo().ContactByExtID(m.ID)
		require.True(t, ok)
		assert.Equal(t, i < 60, slices.Contains(c.ListIDs, brevoList), "member %d in the first list", i)
		assert.Equal(t, i >= 30, slices.Contains(c.ListIDs, otherBrevoList), "member %d in the second list", i)
	}
}

// TestAnotherIntegrationsImportIsNotRaced: an email in another
// integration's unconfirmed import (one Brevo account) sends the contact
// one by one, and a number in one leaves the number out of the row, so no
// read-back waits for its import's end to find the identifier taken.
func TestAnotherIntegrationsImportIsNotRaced(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ms := f.addMembers(t, 0, 60)
	require.NoError(t, f.st.SaveImportRows(t.Context(), "other", "1/1", []store.ImportRow{
		{HubSpotID: "900001", Kind: "created", Email: ms[0].Email},
		{HubSpotID: "900002", Kind: "created", Email: "someone@else.example", SMS: ms[1].sms()},
	}))
	res := f.mustSync(t, f.input(1, 1, members()))
	require.NotNil(t, res.Sent, "the others go in an import")
	rows, err := f.st.ImportRows(t.Context(), "t", res.Sent.Batch)
	require.NoError(t, err)
	byID := map[string]store.ImportRow{}
	for _, r := range rows {
		byID[r.HubSpotID] = r
	}
	require.Contains(t, byID, ms[0].ID)
	assert.True(t, byID[ms[0].ID].Direct, "the contact whose email another import holds is written one by one, not imported")
	require.Contains(t, byID, ms[1].ID)
	assert.False(t, byID[ms[1].ID].Direct)
	assert.Empty(t, byID[ms[1].ID].SMS, "the number another import holds is left out of the row")
}

// TestAContactIsListedOnceForEveryIntegration: two integrations read back
// imports from one Brevo account. The first one's read lists the second's
// rows too; the second then confirms its import from the index without
// listing the first's 300 contacts again. (Where imports drop the
// ext_id, the first's batch update modifies its contacts after its read:
// those are listed again, as they must be.)
func TestAContactIsListedOnceForEveryIntegration(t *testing.T) {
	var listed atomic.Int64
	opts := fastOptions()
	opts.Brevo.ImportKeepsExtID = true
	f := newFixture(t, fixtureConfig{opts: &opts, wrap: func(sb *sandbox.Server) http.Handler {
		return countListed(sb, &listed)
	}})
	f.addMembers(t, 0, 60)
	other := f.otherIntegration(t, 300)

	mine := f.mustSync(t, f.input(1, 1, members()))
	require.NotNil(t, mine.Sent)
	sent := f.mustSync(t, other)
	require.NotNil(t, sent.Sent)
	require.Len(t, f.sb.Brevo().Contacts(), 360, "both imports applied")
	f.skew.Store(int64(5 * time.Second)) // and older than a read's overlap
	conf := f.confirming(1, 2, *sent.Sent)
	conf.Integration, conf.BrevoListID, conf.Reservation = "other", other.BrevoListID, "other/confirm"
	res := f.mustSync(t, conf)
	require.Len(t, res.Confirmed, 1)
	require.Equal(t, 300, res.Confirmed[0].Created)
	require.GreaterOrEqual(t, listed.Load(), int64(360), "the other integration's read listed both imports")

	listed.Store(0)
	res = f.mustSync(t, f.confirming(1, 2, *mine.Sent))
	require.Len(t, res.Confirmed, 1)
	assert.Equal(t, 60, res.Confirmed[0].Created, "confirmed from what the other read listed")
	assert.Less(t, listed.Load(), int64(60), "Brevo listed only what changed since the other read")
}

// otherIntegration is the first batch of a second integration on the same
// Brevo account: a HubSpot list of n contacts of its own, a Brevo list of
// its own.
func (f *fixture) otherIntegration(t *testing.T, n int) activities.BatchInput {
	t.Helper()
	list, err := f.sb.HubSpot().CreateList("Other")
	require.NoError(t, err)
	for i := range n {
		id, err := f.sb.HubSpot().CreateContact(map[string]string{"email": fmt.Sprintf("other%d@example.com", i), "firstname": "O"})
		require.NoError(t, err)
		require.NoError(t, f.sb.HubSpot().AddToList(list, id))
	}
	brevoList, err := f.sb.Brevo().CreateList("Other", 1)
	require.NoError(t, err)
	in := f.input(1, 1, members())
	in.Integration, in.HubSpotListID, in.BrevoListID, in.Reservation = "other", list, brevoList, "other/run/1/1"
	return in
}

// countListed adds up the contacts Brevo's contact listings return.
func countListed(next http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v3/contacts" {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var page struct {
			Contacts []json.RawMessage `json:"contacts"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &page)
		n.Add(int64(len(page.Contacts)))
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// TestOneWorkersIntegrationsListTheAccountInTurn: two integrations of one
// worker route imports at the same time. The second lists the account
// after the first, only what changed since, not the 300 contacts the
// first listed.
func TestOneWorkersIntegrationsListTheAccountInTurn(t *testing.T) {
	var listed atomic.Int64
	second := make(chan struct{})
	var arrivals atomic.Int32
	opts := fastOptions()
	opts.Brevo.ImportKeepsExtID = true
	f := newFixture(t, fixtureConfig{opts: &opts, wrap: func(sb *sandbox.Server) http.Handler {
		count := countListed(sb, &listed)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Path == "/v3/contacts" && r.URL.Query().Get("limit") != "1" {
				// The first listing waits for a second to begin, which
				// only a listing at the same time can.
				switch arrivals.Add(1) {
				case 1:
					select {
					case <-second:
					case <-time.After(time.Second):
					}
				case 2:
					close(second)
				}
			}
			count.ServeHTTP(w, r)
		})
	}})
	for i := range 300 {
		_, err := f.sb.Brevo().AddContact(sandbox.BrevoContact{Email: fmt.Sprintf("by-hand%d@example.com", i)})
		require.NoError(t, err)
	}
	// Older than a listing's overlap, by Brevo's clock, which the client
	// learns from an answer.
	f.skew.Store(int64(5 * time.Second))
	_, _, err := f.acts.Brevo.ListContacts(t.Context(), brevo.ContactQuery{Limit: 1})
	require.NoError(t, err)
	listed.Store(0)
	f.addMembers(t, 0, 60)
	other := f.otherIntegration(t, 60)

	var wg sync.WaitGroup
	for _, in := range []activities.BatchInput{f.input(1, 1, members()), other} {
		wg.Go(func() {
			res, err := f.sync(t, in)
			assert.NoError(t, err)
			assert.NotNil(t, res.Sent, "%s imports", in.Integration)
		})
	}
	wg.Wait()
	// The first one's import may land before the second lists: its 60 new
	// contacts are listed then, and rightly.
	assert.LessOrEqual(t, listed.Load(), int64(360), "the 300 contacts were listed once")
}
