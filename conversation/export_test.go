package conversation

// QueueLen returns how many messages of session wait in mg's queue (not
// counting one being processed), for tests of arrival order.
func QueueLen(mg *Manager, session string) int {
	mg.mu.Lock()
	defer mg.mu.Unlock()
	if q := mg.queues[session]; q != nil {
		return len(q.jobs)
	}
	return 0
}
