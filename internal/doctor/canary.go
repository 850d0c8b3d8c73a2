package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/brevo"
)

// Names of the canary's checks, in order; cleanup is always last.
const (
	canarySetup     = "canary.setup"
	canaryImport    = "canary.import"
	canaryReadBack  = "canary.readBack"
	canaryBlocklist = "canary.blocklist"
	canaryRemove    = "canary.remove"
	canaryCleanup   = "canary.cleanup"
)

// cleanupBudget is the cleanup's own time, on top of the checks' budget:
// it must run when a step used the rest up.
const cleanupBudget = 15 * time.Second

// CanaryPrefix starts the names of everything the canary creates, so a
// person can recognize (and delete) what a failed cleanup left behind.
const CanaryPrefix = "hubspot-brevo-sync-doctor"

// canaryRun is one canary: what it created, for the cleanup.
type canaryRun struct {
	r     *run
	b     *brevo.Client
	token string
	// address is the canary's email, fixed at the start (see canaryEmail).
	address string
	folder  int64
	list    int64
	// process is the import's; imported: it was sent, so the contact may
	// exist; settled: Brevo reported it done.
	process  int64
	imported bool
	settled  bool
	// refusals are the import report's non-zero categories, which say why
	// a row did not arrive.
	refusals []string
}

func (c *canaryRun) email() string { return c.address }
func (c *canaryRun) extID() string { return CanaryPrefix + "-" + c.token }

// canaryEmail is a sub-address of the account owner's: a domain Brevo
// surely accepts, and a mailbox that is the owner's should anything ever
// be sent to it. Without a usable owner address, the reserved example.com.
func canaryEmail(owner, token string) string {
	local, domain, ok := strings.Cut(owner, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(owner, " <>") {
		local, domain = "canary", "example.com"
	}
	local, _, _ = strings.Cut(local, "+")
	return local + "+" + CanaryPrefix + "-" + token + "@" + domain
}

// canary writes to the Brevo account what the sync writes, once, and
// observes the answers the pipeline has variants for. Whatever fails,
// the deferred cleanup deletes what was created.
func (r *run) canary(ctx, checkCtx context.Context) {
	steps := []struct {
		name string
		run  func(*canaryRun, context.Context) bool
	}{{canarySetup, (*canaryRun).setup}, {canaryImport, (*canaryRun).importOne},
		{canaryReadBack, (*canaryRun).readBack}, {canaryBlocklist, (*canaryRun).reimportBlocklisted},
		{canaryRemove, (*canaryRun).removeTwice}}
	if r.o.Brevo == nil || slices.Contains(r.report.Failed(), brevoCredentials) {
		for _, s := range steps {
			r.skip(s.name, brevoCredentials)
		}
		r.skip(canaryCleanup, brevoCredentials)
		return
	}
	c := &canaryRun{r: r, b: r.o.Brevo, token: randomToken()}
	c.address = canaryEmail(r.brevoOwner, c.token)
	defer c.cleanup(ctx)
	for i, s := range steps {
		if !s.run(c, checkCtx) {
			for _, later := range steps[i+1:] {
				r.skip(later.name, s.name)
			}
			return
		}
	}
}

func randomToken() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// setup creates a scratch folder and list: the canary never touches a
// list the sync uses.
func (c *canaryRun) setup(ctx context.Context) bool {
	name := fmt.Sprintf("%s %s", CanaryPrefix, time.Now().UTC().Format(time.RFC3339))
	folder, err := c.b.CreateFolder(ctx, name)
	if err != nil {
		c.r.fail(canarySetup, "creating a scratch folder: %s", oneLine(err))
		return false
	}
	c.folder = folder
	list, err := c.b.CreateList(ctx, CanaryPrefix+"-"+c.token, folder)
	if err != nil {
		c.r.fail(canarySetup, "creating a scratch list in folder %d: %s", folder, oneLine(err))
		return false
	}
	c.list = list
	c.r.pass(canarySetup, "scratch list %d in folder %d %q", list, folder, name)
	return true
}
