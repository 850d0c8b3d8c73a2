package integration

// ConsentChoices describes the consent options in force, one line each,
// for status, report, dry runs and the Web UI (none: nil): the mapping's
// (opt-outs, marketing contacts), then deletions and unsubscribes.
func (s Spec) ConsentChoices() []string {
	out := s.Mapping.Consent.Describe()
	switch s.DeletePolicy() {
	case OnDeleteDelete:
		out = append(out, "on-delete delete: a linked contact deleted in HubSpot is deleted in Brevo (by ext_id)")
	case OnDeleteKeep:
		out = append(out, "on-delete keep: a linked contact deleted in HubSpot stays in Brevo and in the list")
	}
	if s.ReportUnsubscribes {
		c := "Brevo unsubscribes reported to HubSpot (brevo_email_blacklisted)"
		if s.HubSpotSubscriptionID != "" {
			c += " and unsubscribed from subscription type " + s.HubSpotSubscriptionID
		}
		out = append(out, c)
	}
	return out
}

// CountsDeletionsOrUnsubscribes reports whether the options in force
// tell HubSpot deletions apart (delete or keep) or report unsubscribes:
// then their counters are shown beside the choices.
func (s Spec) CountsDeletionsOrUnsubscribes() bool {
	return s.DeletePolicy() != OnDeleteUnlink || s.ReportUnsubscribes
}
