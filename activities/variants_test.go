package activities_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/sandbox"
)

// TestImportUnderEveryBrevoVariant runs a batch of 60 members, imported
// and confirmed, against every combination of the Brevo behaviours nobody
// has observed (does an import honour EXT_ID, do listed processes carry
// their report, does a row whose identifiers belong to two contacts merge
// them or get refused), in an account that already holds contacts made by
// hand:
//
//   - one holds the SMS of member 1 (and another email): the member is
//     written without the SMS, the holder keeps it;
//   - one holds the email of member 2 and no ext_id: it is adopted, the
//     same Brevo contact getting the member's ext_id;
//   - one holds member 3's ext_id (an old email), another member 3's
//     email: neither is merged into the other nor deleted, and member 3
//     fails with Brevo's reason;
//   - one holds member 4's ext_id and email, with old values: updated;
//   - one holds member 5's ext_id and an email changed in Brevo: it gets
//     the HubSpot email back, and no second contact is created.
//
// Member 6 has no email: its contact is known by its SMS and ext_id.
//
// Every other member ends with ext_id, email, SMS, first name and list,
// and each contact is counted once.
func TestImportUnderEveryBrevoVariant(t *testing.T) {
	for _, v := range sandbox.BrevoVariants() {
		t.Run(v.Name, func(t *testing.T) {
			opts := fastOptions()
			opts.Brevo = v.Apply(opts.Brevo)
			f := newFixture(t, fixtureConfig{opts: &opts})
			ms := f.addMembers(t, 0, 60)
			ms[6].Email = ""
			require.NoError(t, f.sb.HubSpot().UpdateContact(ms[6].ID, map[string]string{"email": ""}))
			var smsHolder, emailHolder, extHolder3, emailHolder3, stale4, changed5 int64
			add := func(c sandbox.BrevoContact) int64 {
				id, err := f.sb.Brevo().AddContact(c)
				require.NoError(t, err)
				return id
			}
			smsHolder = add(sandbox.BrevoContact{Email: "holder@example.com", SMS: ms[1].Phone})
			emailHolder = add(sandbox.BrevoContact{Email: ms[2].Email, Attributes: map[string]any{"FIRSTNAME": "By hand"}})
			extHolder3 = add(sandbox.BrevoContact{Email: "m3-old@example.com", ExtID: ms[3].ID})
			emailHolder3 = add(sandbox.BrevoContact{Email: ms[3].Email})
			stale4 = add(sandbox.BrevoContact{Email: ms[4].Email, ExtID: ms[4].ID, Attributes: map[string]any{"FIRSTNAME": "Stale"}, ListIDs: []int64{brevoList}})
			changed5 = add(sandbox.BrevoContact{Email: "m5-edited-in-brevo@example.com", ExtID: ms[5].ID, ListIDs: []int64{brevoList}})
			before := f.sb.Brevo().Contacts()

			res := f.mustSync(t, f.input(1, 1, members()))
			require.NotNil(t, res.Sent, "most members go as one import")
			conf := f.mustSync(t, f.confirming(1, 2, *res.Sent))
			require.Len(t, conf.Confirmed, 1)

			// Nothing made by hand disappeared.
			for _, c := range before {
				_, ok := f.contactByID(c.ID)
				assert.True(t, ok, "Brevo contact %d (%s) still exists", c.ID, c.Email)
			}
			assert.Zero(t, f.sb.Brevo().Stats().ContactsDeleted, "no contact merged away or deleted")

			problems := problemsByID(res, conf)
			for i, m := range ms {
				switch i {
				case 1:
					c, ok := f.sb.Brevo().ContactByExtID(m.ID)
					require.True(t, ok)
					assert.Equal(t, m.Email, c.Email)
					assert.Empty(t, c.SMS, "the number stays with its holder")
					assert.Contains(t, c.ListIDs, brevoList)
					assert.NotEqual(t, smsHolder, c.ID)
					holder, _ := f.contactByID(smsHolder)
					assert.Equal(t, m.sms(), holder.SMS)
					assert.Empty(t, holder.ExtID)
					assert.Contains(t, reasons(problems[m.ID]), mapping.ReasonDuplicateSMS)
				case 2:
					c := f.requireSynced(t, m)
					assert.Equal(t, emailHolder, c.ID, "the hand-made contact is adopted")
				case 3:
					a, _ := f.contactByID(extHolder3)
					assert.Equal(t, m.ID, a.ExtID)
					assert.Equal(t, "m3-old@example.com", a.Email)
					b, _ := f.contactByID(emailHolder3)
					assert.Equal(t, m.Email, b.Email)
					assert.Empty(t, b.ExtID)
					assert.Contains(t, kinds(problems[m.ID]), mapping.OutcomeFailed)
				case 4:
					c := f.requireSynced(t, m)
					assert.Equal(t, stale4, c.ID)
				case 5:
					c := f.requireSynced(t, m)
					assert.Equal(t, changed5, c.ID, "the contact keyed by the ext_id gets the email back")
				case 6:
					c := f.requireSynced(t, m)
					assert.Empty(t, c.Email, "a member without email is a contact known by its SMS")
				default:
					f.requireSynced(t, m)
				}
			}
			// 56 members new to Brevo (member 1 included), 3 updated (2, 4,
			// 5), member 3 failed; nothing else in Brevo.
			created, updated, failed := tally(res, conf)
			assert.Equal(t, 56, created, "created")
			assert.Equal(t, 3, updated, "updated")
			assert.Equal(t, 1, failed, "failed")
			assert.Equal(t, len(before)+56, len(f.sb.Brevo().Contacts()), "contacts in Brevo")
			spent, _ := f.quota.spent("t/run/1/1")
			assert.EqualValues(t, 59, spent)
		})
	}
}

func reasons(os []mapping.Outcome) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Reason)
	}
	return out
}

func kinds(os []mapping.Outcome) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Kind)
	}
	return out
}

func (f *fixture) contactByID(id int64) (sandbox.BrevoContact, bool) {
	for _, c := range f.sb.Brevo().Contacts() {
		if c.ID == id {
			return c, true
		}
	}
	return sandbox.BrevoContact{}, false
}
