package activities

import "time"

// SetTransientBudget shortens the in-activity retries of transient
// failures for a test; the returned func restores them. Tests that use it
// must not run in parallel.
func SetTransientBudget(d time.Duration) (restore func()) {
	old := transientBudget
	transientBudget = d
	return func() { transientBudget = old }
}
