package engine

// WakeTurns wakes an idle turn worker to look for claimable turns now. On
// PostgreSQL, serve calls it on each notification that a turn was queued or
// released, on this replica or another (store.Listen).
func (e *Engine) WakeTurns() { wake(e.turnWake) }
