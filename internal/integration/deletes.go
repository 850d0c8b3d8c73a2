package integration

// DeleteAndUnsubscribeChoices names the --on-delete and unsubscribe
// reporting options that differ from the defaults, for status, report
// and the Web UI's details (none: nil).
func (s Spec) DeleteAndUnsubscribeChoices() []string {
	var out []string
	if p := s.DeletePolicy(); p != OnDeleteUnlink {
		out = append(out, "on-delete "+p)
	}
	if s.ReportUnsubscribes {
		c := "Brevo unsubscribes reported to HubSpot"
		if s.HubSpotSubscriptionID != "" {
			c += " (and subscription type " + s.HubSpotSubscriptionID + ")"
		}
		out = append(out, c)
	}
	return out
}
