package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
)

// benchIntegration is one of the integrations the run syncs at once, all
// on the one HubSpot connection and Brevo account: a HubSpot list of its
// own (a share of the seeded contacts) into a Brevo list of its own.
type benchIntegration struct {
	name        string
	hubspotList string
	brevoList   int64
	ids         []string // members, ascending
}

// splitIntegrations makes n integrations of the seeded contacts: with one,
// the seeded list into Brevo list 1; with more, n lists of about equal
// shares, so that n workers each have work. Contacts that share an email
// or a number stay in one list: in one Brevo account they are one contact,
// which two integrations would both claim.
func (b *bench) splitIntegrations(n int) error {
	if n <= 1 {
		b.integrations = []benchIntegration{{name: benchName, hubspotList: b.seed.ListID, brevoList: 1, ids: b.seed.ContactIDs}}
		return nil
	}
	folder := b.sb.Brevo().CreateFolder("bench")
	parts := make([][]string, n)
	for _, group := range b.contactGroups() {
		smallest := 0
		for i := range parts {
			if len(parts[i]) < len(parts[smallest]) {
				smallest = i
			}
		}
		parts[smallest] = append(parts[smallest], group...)
	}
	for i, part := range parts {
		slices.SortFunc(part, func(a, b string) int { return cmp.Compare(len(a), len(b))*2 + cmp.Compare(a, b) })
		name := fmt.Sprintf("%s-%d", benchName, i+1)
		hsList, err := b.sb.HubSpot().CreateList(name)
		if err != nil {
			return err
		}
		if err := b.sb.HubSpot().AddToList(hsList, part...); err != nil {
			return err
		}
		bvList, err := b.sb.Brevo().CreateList(name, folder)
		if err != nil {
			return err
		}
		b.integrations = append(b.integrations, benchIntegration{name: name, hubspotList: hsList, brevoList: bvList, ids: part})
	}
	return nil
}

// contactGroups are the seeded contacts, those sharing an email or phone
// number in one group, in the order of their first contact.
func (b *bench) contactGroups() [][]string {
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			root := find(p)
			parent[x] = root
			return root
		}
		parent[x] = x
		return x
	}
	owner := map[string]string{} // email or number -> a contact holding it
	for _, id := range b.seed.ContactIDs {
		c, _ := b.sb.HubSpot().Contact(id)
		find(id)
		for _, k := range []string{"e:" + strings.ToLower(c.Properties["email"]), "p:" + c.Properties["phone"]} {
			if k == "e:" || k == "p:" {
				continue
			}
			if o, ok := owner[k]; ok {
				parent[find(id)] = find(o)
			} else {
				owner[k] = id
			}
		}
	}
	var groups [][]string
	index := map[string]int{}
	for _, id := range b.seed.ContactIDs {
		root := find(id)
		i, ok := index[root]
		if !ok {
			i = len(groups)
			index[root] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], id)
	}
	return groups
}

func (b *bench) createIntegrations(ctx context.Context) error {
	for _, in := range b.integrations {
		if _, err := b.mgr.Create(ctx, manage.CreateRequest{
			Name: in.name, HubSpotListID: in.hubspotList, BrevoListID: in.brevoList, OptInConfirmed: true,
			Map: []string{"email=EMAIL", "firstname=FIRSTNAME", "lastname=LASTNAME", "phone=SMS"},
		}); err != nil {
			return err
		}
	}
	return nil
}

// statuses reads every integration's status.
func (b *bench) statuses(ctx context.Context) ([]integration.Status, error) {
	out := make([]integration.Status, len(b.integrations))
	for i, in := range b.integrations {
		st, err := b.mgr.Status(ctx, in.name)
		if err != nil {
			return nil, err
		}
		out[i] = st
	}
	return out, nil
}

// combined adds the integrations' figures up, for printing.
func combined(sts []integration.Status) integration.Status {
	var c integration.Status
	for _, st := range sts {
		c.Cursor.Seen += st.Cursor.Seen
		c.Cursor.ListSize += st.Cursor.ListSize
		c.Cursor.Written += st.Cursor.Written
		c.PendingImports += st.PendingImports
		c.ContactsSynced += st.ContactsSynced
		c.ContactsSkipped += st.ContactsSkipped
		c.ContactsFailed += st.ContactsFailed
		c.Unchanged += st.Unchanged
		c.RecentProblems = append(c.RecentProblems, st.RecentProblems...)
	}
	return c
}

// allEvents sums the history events and runs of every integration.
func (b *bench) allEvents(ctx context.Context) (events int64, runs int, err error) {
	for _, in := range b.integrations {
		e, r, err := historyEvents(ctx, b.c, integration.ID(in.name))
		if err != nil {
			return 0, 0, err
		}
		events, runs = events+e, runs+r
	}
	return events, runs, nil
}
