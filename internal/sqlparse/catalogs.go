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
		switch name {
		case "pg_stat_statements", "pg_stat_monitor":
			// Extension views of statement texts: in whatever schema
			// the extension was installed (public, as a rule).
			return true
		}
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
				"innodb_buffer_page_lru",
				// The key values of locked index records (lock_data), the
				// statements of open transactions (trx_query), the words
				// of full-text indexes, cached statement texts.
				"innodb_locks", "innodb_lock_waits", "innodb_trx", "innodb_ft_index_table", "innodb_ft_index_cache",
				"innodb_ft_deleted", "innodb_ft_being_deleted", "query_cache_info":
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

// CatalogFunction reports whether name, as the analyser reports a function
// (lowercase, qualified as written), is a built-in of dialect d that reads
// only the system catalogs' names, types, comments and definitions, or
// a built-in setting, and no table data: what ORMs and migration tools
// call to introspect a schema (format_type, pg_get_expr, obj_description,
// SQLite's pragma_table_info…). Its result may still be computed from
// its arguments, whose sources it carries. current_setting is listed; a
// statement that reads a custom setting (a name with a dot, or a name
// not written as a literal) says so in Statement.CustomSetting.
func CatalogFunction(d Dialect, name string) bool {
	if i := lastDot(name); i >= 0 {
		if d != PostgreSQL || lowerASCII(name[:i]) != "pg_catalog" {
			return false
		}
		name = name[i+1:]
	}
	switch d {
	case PostgreSQL:
		switch name {
		case "format_type", "pg_get_expr", "pg_get_indexdef", "pg_get_constraintdef", "pg_get_viewdef",
			"pg_get_triggerdef", "pg_get_serial_sequence", "pg_get_userbyid", "pg_get_partkeydef",
			"obj_description", "col_description", "shobj_description", "pg_table_is_visible",
			"pg_type_is_visible", "pg_function_is_visible", "pg_encoding_to_char", "pg_relation_is_updatable",
			"pg_column_is_updatable", "pg_get_function_identity_arguments", "pg_get_function_result",
			"pg_get_function_arguments", "pg_index_column_has_property", "pg_indexam_has_property",
			"current_schema", "current_schemas", "current_database", "current_catalog", "version",
			"has_table_privilege", "has_schema_privilege", "has_column_privilege", "has_database_privilege",
			"to_regclass", "to_regtype", "to_regproc", "to_regnamespace", "current_setting", "array_to_string",
			"array_position", "array_length", "unnest", "quote_ident", "regclass", "regtype", "oid":
			return true
		}
	case MySQL:
		switch name {
		case "database", "schema", "version", "current_role", "connection_id":
			return true
		}
	case SQLite:
		switch name {
		case "pragma_table_info", "pragma_table_xinfo", "pragma_table_list", "pragma_index_list",
			"pragma_index_info", "pragma_index_xinfo", "pragma_foreign_key_list", "pragma_database_list",
			"pragma_collation_list", "sqlite_version", "sqlite_source_id":
			return true
		}
	}
	return false
}
