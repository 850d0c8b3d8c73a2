package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/sandbox"
)

func (f *leavesFixture) finishWith(t *testing.T, in activities.FinishScanInput) (activities.FinishScanResult, error) {
	in.Integration, in.HubSpotListID, in.BrevoListID = "t", f.listID, 1
	if in.GuardPercent == 0 {
		in.GuardPercent = 20
	}
	if in.OnLeave == "" {
		in.OnLeave = activities.OnLeaveUnlink
	}
	v, err := f.env(nil).ExecuteActivity(f.acts.FinishScan, in)
	var res activities.FinishScanResult
	if err == nil {
		require.NoError(t, v.Get(&res))
	}
	return res, err
}

func (f *leavesFixture) email(t *testing.T, id string) string {
	c, ok := f.sb.HubSpot().Contact(id)
	require.True(t, ok)
	require.NotEmpty(t, c.Properties["email"])
	return c.Properties["email"]
}

func (f *leavesFixture) reason(t *testing.T, id string) string {
	os, err := f.st.FindOutcome(context.Background(), "t", id)
	require.NoError(t, err)
	require.NotEmpty(t, os, "an outcome for %s", id)
	return os[0].Reason
}

// TestOnDeleteDeleteDeletesOnlyWhatHubSpotDeleted: of five leavers, one
// archived and one GDPR-deleted in HubSpot are deleted in Brevo (one of
// them already gone there); one that just left the list and the two
// records merged away are unlinked, not deleted; a hand-made Brevo contact
// in the list is untouched.
func TestOnDeleteDeleteDeletesOnlyWhatHubSpotDeleted(t *testing.T) {
	f := newLeavesFixture(t, nil)
	h, b := f.sb.HubSpot(), f.sb.Brevo()
	archived, gdpr, left, mergedA, mergedB := f.members[0], f.members[1], f.members[2], f.members[3], f.members[4]
	handMade, err := b.AddContact(sandbox.BrevoContact{Email: "by-hand@example.com", ListIDs: []int64{1}})
	require.NoError(t, err)
	require.NoError(t, h.ArchiveContact(archived))
	require.NoError(t, h.GDPRDeleteContact(gdpr))
	require.NoError(t, h.RemoveFromList(f.listID, left))
	_, err = h.MergeContacts(mergedA, mergedB)
	require.NoError(t, err)
	gone, _ := b.ContactByExtID(gdpr)
	require.True(t, b.DeleteContact(gone.ID), "somebody deleted it in Brevo already")

	f.scan(t, 2)
	res, err := f.finishWith(t, activities.FinishScanInput{Scan: 2, OnDelete: activities.OnDeleteDelete})
	require.NoError(t, err)
	assert.Equal(t, 5, res.Left)
	assert.Equal(t, 2, res.DeletedInHubSpot)
	assert.Equal(t, 3, res.Unlinked)
	for _, id := range []string{archived, gdpr} {
		_, ok := b.ContactByExtID(id)
		assert.False(t, ok, "contact %s deleted in Brevo", id)
		assert.Equal(t, activities.ReasonDeletedInHubSpot, f.reason(t, id))
	}
	for _, id := range []string{left, mergedA, mergedB} {
		c, ok := b.ContactByExtID(id)
		require.True(t, ok, "contact %s is not deleted", id)
		assert.NotContains(t, c.ListIDs, int64(1), "contact %s unlinked", id)
		assert.Equal(t, activities.ReasonLeftList, f.reason(t, id))
	}
	c, ok := b.ContactByID(handMade)
	require.True(t, ok, "the hand-made contact survives")
	assert.Contains(t, c.ListIDs, int64(1))
	assert.Len(t, b.ListMembers(1), 40-5+1)
}

// TestOnDeleteKeepLeavesDeletedContactsInTheList: deleted in HubSpot, kept
// in Brevo and in the list; a plain leaver is still unlinked.
func TestOnDeleteKeepLeavesDeletedContactsInTheList(t *testing.T) {
	f := newLeavesFixture(t, nil)
	h, b := f.sb.HubSpot(), f.sb.Brevo()
	require.NoError(t, h.ArchiveContact(f.members[0]))
	require.NoError(t, h.RemoveFromList(f.listID, f.members[1]))
	f.scan(t, 2)
	res, err := f.finishWith(t, activities.FinishScanInput{Scan: 2, OnDelete: activities.OnDeleteKeep})
	require.NoError(t, err)
	assert.Equal(t, 1, res.DeletedInHubSpot)
	assert.Equal(t, 1, res.Unlinked)
	kept, ok := b.ContactByExtID(f.members[0])
	require.True(t, ok)
	assert.Contains(t, kept.ListIDs, int64(1))
	assert.Equal(t, activities.ReasonDeletedInHubSpot, f.reason(t, f.members[0]))
	left, _ := b.ContactByExtID(f.members[1])
	assert.NotContains(t, left.ListIDs, int64(1))
}

// TestOnDeleteUnlinkIsTodaysBehaviour: without the option nothing asks
// HubSpot about the leavers and the deleted are unlinked like the others.
func TestOnDeleteUnlinkIsTodaysBehaviour(t *testing.T) {
	f := newLeavesFixture(t, nil)
	require.NoError(t, f.sb.HubSpot().ArchiveContact(f.members[0]))
	f.scan(t, 2)
	reads := f.sb.HubSpot().Stats().ByFamily["contacts.batchRead"]
	res, err := f.finishWith(t, activities.FinishScanInput{Scan: 2})
	require.NoError(t, err)
	assert.Zero(t, res.DeletedInHubSpot)
	assert.Equal(t, 1, res.Unlinked)
	assert.Equal(t, reads, f.sb.HubSpot().Stats().ByFamily["contacts.batchRead"])
	_, ok := f.sb.Brevo().ContactByExtID(f.members[0])
	assert.True(t, ok, "unlink never deletes")
}

// TestMassDeletionTripsTheGuard: half the list deleted in HubSpot at once
// deletes nothing until a person allows it.
func TestMassDeletionTripsTheGuard(t *testing.T) {
	f := newLeavesFixture(t, nil)
	for _, id := range f.members[:20] {
		require.NoError(t, f.sb.HubSpot().ArchiveContact(id))
	}
	f.scan(t, 2)
	_, err := f.finishWith(t, activities.FinishScanInput{Scan: 2, OnDelete: activities.OnDeleteDelete})
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, activities.ErrTypeUnlinkGuard, ae.Type())
	assert.Len(t, f.sb.Brevo().Contacts(), 40, "the guard deletes nothing")

	res, err := f.finishWith(t, activities.FinishScanInput{Scan: 2, OnDelete: activities.OnDeleteDelete, AllowLeaves: true})
	require.NoError(t, err)
	assert.Equal(t, 20, res.DeletedInHubSpot)
	assert.Len(t, f.sb.Brevo().Contacts(), 20)
}

func (f *leavesFixture) report(t *testing.T, in activities.ReportUnsubscribesInput) (activities.ReportUnsubscribesResult, error) {
	in.Integration, in.BrevoListID = "t", 1
	v, err := f.env(nil).ExecuteActivity(f.acts.ReportUnsubscribes, in)
	var res activities.ReportUnsubscribesResult
	if err == nil {
		require.NoError(t, v.Get(&res))
	}
	return res, err
}

// TestReportUnsubscribesReportsEachPersonOnce: a person's unsubscribe in
// Brevo reaches HubSpot (properties and subscription type); the sync's own
// blocklisting, a hand-made contact and a contact of another ext_id are
// not reported; the next listing, from the watermark, reports only what
// is new.
func TestReportUnsubscribesReportsEachPersonOnce(t *testing.T) {
	f := newLeavesFixture(t, nil)
	h, b := f.sb.HubSpot(), f.sb.Brevo()
	person, own, later := f.members[0], f.members[1], f.members[2]
	require.True(t, b.Unsubscribe(f.email(t, person)))
	require.True(t, b.Unsubscribe(f.email(t, own)))
	require.NoError(t, f.st.MarkBlocklisted(context.Background(), "t", []string{own}, time.Now()))
	_, err := b.AddContact(sandbox.BrevoContact{Email: "by-hand@example.com", ListIDs: []int64{1}, EmailBlacklisted: true})
	require.NoError(t, err)
	_, err = b.AddContact(sandbox.BrevoContact{Email: "other@example.com", ExtID: "999999", ListIDs: []int64{1}, EmailBlacklisted: true})
	require.NoError(t, err)

	res, err := f.report(t, activities.ReportUnsubscribesInput{SubscriptionID: "4242"})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Reported)
	assert.Equal(t, 1, res.Own)
	assert.False(t, res.Until.IsZero())
	c, _ := h.Contact(person)
	assert.Equal(t, "true", c.Properties[activities.PropBrevoBlacklisted])
	assert.NotEmpty(t, c.Properties[activities.PropBrevoBlacklistedAt])
	assert.Equal(t, []string{"4242"}, h.Unsubscribed(f.email(t, person)))
	c, _ = h.Contact(own)
	assert.Empty(t, c.Properties[activities.PropBrevoBlacklisted], "the sync's own blocklisting is not echoed back")
	assert.Empty(t, h.Unsubscribed(f.email(t, own)))
	assert.Equal(t, activities.ReasonUnsubscribedInBrevo, f.reason(t, person))

	require.True(t, b.Unsubscribe(f.email(t, later)))
	updates := h.Stats().ByFamily["contacts.batchUpdate"]
	res, err = f.report(t, activities.ReportUnsubscribesInput{Since: res.Until, SubscriptionID: "4242"})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Reported, "only the new unsubscribe")
	assert.Equal(t, updates+1, h.Stats().ByFamily["contacts.batchUpdate"])
	c, _ = h.Contact(later)
	assert.Equal(t, "true", c.Properties[activities.PropBrevoBlacklisted])

	res, err = f.report(t, activities.ReportUnsubscribesInput{SubscriptionID: "4242"})
	require.NoError(t, err)
	assert.Zero(t, res.Reported, "a full listing reports nobody twice")
}

// TestReportUnsubscribesNamesAMissingScope: without the contacts write
// scope the activity fails with one line naming it, and marks nobody as
// reported (a later attempt with the scope reports them).
func TestReportUnsubscribesNamesAMissingScope(t *testing.T) {
	opts := fastOptions()
	opts.HubSpot.Scopes = []string{"crm.lists.read", "crm.objects.contacts.read", "crm.schemas.contacts.read", "crm.schemas.contacts.write"}
	f := newLeavesFixture(t, &opts)
	require.True(t, f.sb.Brevo().Unsubscribe(f.email(t, f.members[0])))
	_, err := f.report(t, activities.ReportUnsubscribesInput{})
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, activities.ErrTypeMissingScope, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Contains(t, ae.Error(), "crm.objects.contacts.write")
	consents, cerr := f.st.Consents(context.Background(), "t", f.members[:1])
	require.NoError(t, cerr)
	assert.True(t, consents[f.members[0]].ReportedAt.IsZero())
}

// TestReportUnsubscribesNamesTheSubscriptionScope: with a subscription
// type but without communication_preferences.write the activity fails
// naming that scope, and the contact stays to be reported.
func TestReportUnsubscribesNamesTheSubscriptionScope(t *testing.T) {
	opts := fastOptions()
	opts.HubSpot.Scopes = []string{"crm.lists.read", "crm.objects.contacts.read", "crm.objects.contacts.write", "crm.schemas.contacts.write"}
	f := newLeavesFixture(t, &opts)
	require.True(t, f.sb.Brevo().Unsubscribe(f.email(t, f.members[0])))
	_, err := f.report(t, activities.ReportUnsubscribesInput{SubscriptionID: "77"})
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, activities.ErrTypeMissingScope, ae.Type())
	assert.Contains(t, ae.Error(), "communication_preferences.write")
	consents, cerr := f.st.Consents(context.Background(), "t", f.members[:1])
	require.NoError(t, cerr)
	assert.True(t, consents[f.members[0]].ReportedAt.IsZero())
}

// TestReportUnsubscribesWithoutModifiedAtNeedsAFullListing: where an
// unsubscribe does not move modifiedAt, a listing from the watermark
// misses it and the full listing (of every full pass) finds it.
func TestReportUnsubscribesWithoutModifiedAtNeedsAFullListing(t *testing.T) {
	opts := fastOptions()
	opts.Brevo.UnsubscribeKeepsModifiedAt = true
	f := newLeavesFixture(t, &opts)
	first, err := f.report(t, activities.ReportUnsubscribesInput{})
	require.NoError(t, err)
	require.Zero(t, first.Reported)
	require.True(t, f.sb.Brevo().Unsubscribe(f.email(t, f.members[0])))
	// A watermark past the overlap: the contact's modifiedAt (its sync) is before it.
	res, err := f.report(t, activities.ReportUnsubscribesInput{Since: first.Until.Add(2 * activities.UnsubscribeOverlap)})
	require.NoError(t, err)
	assert.Zero(t, res.Reported, "the modifiedSince listing cannot see it")
	res, err = f.report(t, activities.ReportUnsubscribesInput{})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Reported)
}
