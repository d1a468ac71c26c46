package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync"

	"modernc.org/sqlite"
)

// maxCachedStmts bounds the statements one connection keeps prepared. The store
// runs a few dozen distinct statements; the bound only matters for those built
// with a variable number of placeholders.
const maxCachedStmts = 256

// stmtCache hands out SQLite connections that keep their prepared statements.
// database/sql runs a statement without arguments prepared beforehand through
// the connection's ExecContext/QueryContext, and modernc's SQLite then parses
// and plans it every time: under webhook load that was a quarter of all CPU,
// most of it while holding the one write connection. Keeping the statement
// prepared per connection skips the parse; SQLite re-prepares a statement by
// itself when the schema changes (sqlite3_prepare_v2).
//
// On the write connection (uninterrupted), a statement runs to its end even if
// its context ends meanwhile: SQLite answers an interrupt of a write inside a
// transaction by rolling back the whole transaction, which would undo every
// write of its commit group (groupcommit.go), not just the caller's. A caller
// that gave up still stops at its next statement, which database/sql refuses
// to start, and its savepoint undoes what it wrote.
type stmtCache struct {
	base          driver.Connector
	uninterrupted bool
}

func newStmtCache(dsn string, uninterrupted bool) (driver.Connector, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return stmtCache{base, uninterrupted}, nil
}

func (c stmtCache) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &cachedConn{Conn: conn, stmts: map[string]*cachedStmt{}, uninterrupted: c.uninterrupted}, nil
}

func (c stmtCache) Driver() driver.Driver { return c.base.Driver() }

type cachedStmt struct {
	st   driver.Stmt
	busy bool // its rows are open: a nested use prepares a fresh statement
}

// cachedConn is a modernc connection with a statement cache. database/sql never
// uses one connection from two goroutines at once; the mutex only guards the
// map against a Close racing a rows.Close.
type cachedConn struct {
	driver.Conn
	mu            sync.Mutex
	stmts         map[string]*cachedStmt
	uninterrupted bool
}

var (
	_ driver.ExecerContext      = (*cachedConn)(nil)
	_ driver.QueryerContext     = (*cachedConn)(nil)
	_ driver.ConnBeginTx        = (*cachedConn)(nil)
	_ driver.ConnPrepareContext = (*cachedConn)(nil)
	_ driver.Pinger             = (*cachedConn)(nil)
	_ driver.SessionResetter    = (*cachedConn)(nil)
	_ driver.Validator          = (*cachedConn)(nil)
)

// stmt returns the prepared statement for query and a release function to call
// when done with it (after its rows are closed).
func (c *cachedConn) stmt(ctx context.Context, query string) (driver.Stmt, func(), error) {
	c.mu.Lock()
	if e, ok := c.stmts[query]; ok && !e.busy {
		e.busy = true
		c.mu.Unlock()
		return e.st, func() { c.mu.Lock(); e.busy = false; c.mu.Unlock() }, nil
	}
	c.mu.Unlock()
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.stmts[query]; !ok && len(c.stmts) < maxCachedStmts {
		e := &cachedStmt{st: st, busy: true}
		c.stmts[query] = e
		return st, func() { c.mu.Lock(); e.busy = false; c.mu.Unlock() }, nil
	}
	return st, func() { st.Close() }, nil
}

func (c *cachedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, release, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	defer release()
	if c.uninterrupted {
		ctx = context.WithoutCancel(ctx)
	}
	return st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	st, release, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.uninterrupted {
		ctx = context.WithoutCancel(ctx)
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		release()
		return nil, err
	}
	return &releasingRows{Rows: rows, release: release}, nil
}

func (c *cachedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, sqliteSQL(query))
}

func (c *cachedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *cachedConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c *cachedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachedConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Close finalizes the cached statements, then closes the connection.
func (c *cachedConn) Close() error {
	c.mu.Lock()
	var errs []error
	for q, e := range c.stmts {
		errs = append(errs, e.st.Close())
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	return errors.Join(append(errs, c.Conn.Close())...)
}

// releasingRows gives the statement back to the cache when the rows close.
type releasingRows struct {
	driver.Rows
	release func()
	once    sync.Once
}

func (r *releasingRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(r.release)
	return err
}
