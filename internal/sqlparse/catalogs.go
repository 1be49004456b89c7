package sqlparse

// CopiesData reports whether t, read in dialect d, is a system catalog or
// view that holds copies of table data or of statement texts with their
// literals: planner statistics with sample values, raw database pages,
// other sessions' statements, user variables. Reading one defeats masking
// (pg_stats.most_common_vals lists people.ssn values), so the driver
// refuses it to readers with masking rules in force. Catalogs of names and
// types (information_schema.columns, pg_class, PRAGMA table_info) are not
// listed.
func CopiesData(d Dialect, t Table) bool {
	schema, name := lowerASCII(t.Schema), lowerASCII(t.Name)
	switch d {
	case PostgreSQL:
		if schema != "" && schema != "pg_catalog" {
			return false
		}
		switch name {
		case "pg_stats", "pg_statistic", "pg_stats_ext", "pg_stats_ext_exprs", "pg_statistic_ext_data",
			"pg_stat_activity", "pg_stat_statements", "pg_prepared_statements", "pg_cursors",
			"pg_locks", "pg_largeobject", "pg_replication_origin", "pg_replication_origin_status",
			"pg_replication_slots", "pg_stat_replication_slots":
			return true
		}
	case MySQL:
		switch schema {
		case "performance_schema", "sys":
			return true
		case "mysql":
			switch name {
			case "column_stats", "general_log", "slow_log":
				return true
			}
		case "information_schema":
			switch name {
			case "processlist", "user_variables", "optimizer_trace", "column_statistics", "innodb_buffer_page",
				"innodb_buffer_page_lru":
				return true
			}
		}
	case SQLite:
		if schema != "" && schema != "main" && schema != "temp" {
			// An attached database has the same catalogs.
			schema = ""
		}
		switch name {
		case "sqlite_stat2", "sqlite_stat3", "sqlite_stat4", "sqlite_dbpage", "dbstat":
			return true
		}
	}
	return false
}
