package connect

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// pollerCheckTimeout bounds the start-up check: it must never hold up a
// worker, e.g. on a server that is slow to answer or does not allow it.
const pollerCheckTimeout = 10 * time.Second

// OtherPollers returns the identities of workers on other hosts that polled
// taskQueue for workflow or activity tasks in the last minutes, sorted.
//
// Workers on this host are left out: a worker restarted a moment ago is
// still listed under this host's name (the SDK's identity is pid@host@),
// and workers on one host can share a SQLite file. The server describes the
// root partition, which sees the pollers of an idle queue; under load one
// may be missed, so a result is a hint, not a census.
func OtherPollers(ctx context.Context, c client.Client, taskQueue string) ([]string, error) {
	host, _ := os.Hostname()
	var others []string
	for _, kind := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		resp, err := c.DescribeTaskQueue(ctx, taskQueue, kind)
		if err != nil {
			return nil, err
		}
		for _, p := range resp.GetPollers() {
			id := p.GetIdentity()
			if id == "" || sameHost(id, host) || slices.Contains(others, id) {
				continue
			}
			others = append(others, id)
		}
	}
	slices.Sort(others)
	return others, nil
}

// sameHost reports whether an SDK identity (pid@host@...) names host.
func sameHost(identity, host string) bool {
	parts := strings.Split(identity, "@")
	return host != "" && len(parts) >= 2 && parts[1] == host
}

// WarnIfStoreNotShared logs one warning when this worker keeps the sync
// store in SQLite while workers on other hosts poll the same task queue:
// each of them then sees its own file, so change-capture cursors and
// contact identities diverge between workers. Several workers need the
// PostgreSQL store (SYNC_STORE_DSN=postgres://...). The worker still runs.
func WarnIfStoreNotShared(ctx context.Context, c client.Client, taskQueue string, postgres bool, log *zap.Logger) {
	if postgres {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, pollerCheckTimeout)
	defer cancel()
	others, err := OtherPollers(ctx, c, taskQueue)
	if err != nil {
		log.Debug("could not list the task queue's other workers", zap.Error(err))
		return
	}
	if len(others) == 0 {
		return
	}
	log.Warn(fmt.Sprintf("other workers poll task queue %s, but this worker keeps the sync store in SQLite, "+
		"a file the others do not see; several workers need the shared PostgreSQL store: set SYNC_STORE_DSN=postgres://... on all of them", taskQueue),
		zap.Strings("otherWorkers", others))
}
