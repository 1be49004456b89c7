package sqlparse

// valueFunction reports whether the call of ref (as read by name) in dialect
// d is a built-in function whose value is computed from its arguments
// alone: it reads no table. A function the user defined may return any
// column of any table (SELECT people_fn() returns a row of people), so a
// select item calling an unlisted function has no certain lineage. The
// lists hold the functions common in queries (the guard's list of
// functions that only compute a value), not every built-in.
func valueFunction(d Dialect, ref Table) bool {
	if ref.Schema != "" && (d != PostgreSQL || lowerASCII(ref.Schema) != "pg_catalog") {
		return false
	}
	name := lowerASCII(ref.Name)
	if d == PostgreSQL && name == "current_setting" {
		// A custom setting holds any value set_config stored in it, as a
		// MySQL user variable does.
		return false
	}
	if commonValueFunction(name) {
		return true
	}
	switch d {
	case PostgreSQL:
		return pgValueFunction(name)
	case MySQL:
		return mysqlValueFunction(name)
	case SQLite:
		return sqliteValueFunction(name)
	}
	return false
}

// ValueFunction reports whether name, as the analyser reports a function
// (lowercase, qualified as written), is a built-in function of dialect d
// that only computes a value from its arguments: it reads no table, changes
// no data, no setting and no lock, reads no file, reaches no other server
// and does not stall the server. The lists hold the functions common in
// queries, not every built-in: an unlisted function is unknown. Only
// PostgreSQL's pg_catalog qualifies a built-in.
func ValueFunction(d Dialect, name string) bool {
	var ref Table
	if i := lastDot(name); i >= 0 {
		ref.Schema, ref.Name = name[:i], name[i+1:]
	} else {
		ref.Name = name
	}
	return valueFunction(d, ref)
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

func commonValueFunction(name string) bool {
	switch name {
	case
		// Aggregates and windows.
		"count", "sum", "avg", "min", "max", "row_number", "rank", "dense_rank", "percent_rank",
		"cume_dist", "ntile", "lag", "lead", "first_value", "last_value", "nth_value",
		// Conditionals and casts.
		"coalesce", "nullif", "greatest", "least", "cast",
		// Strings.
		"lower", "upper", "length", "char_length", "character_length", "octet_length", "substring",
		"substr", "trim", "ltrim", "rtrim", "replace", "concat", "left", "right", "lpad", "rpad",
		"reverse", "repeat", "position", "instr", "ascii", "char", "hex",
		// Numbers.
		"abs", "round", "floor", "ceil", "ceiling", "mod", "power", "pow", "sqrt", "exp", "ln",
		"log", "log10", "sign", "trunc", "truncate", "pi", "random", "rand",
		// Dates and times.
		"current_date", "current_time", "current_timestamp", "localtime", "localtimestamp", "now",
		"extract", "date",
		// Who and where.
		"current_user", "session_user", "user",
		// Type names in casts, which the analyser lists when they take
		// a length.
		"varchar", "numeric", "decimal", "character", "int", "integer", "bigint", "smallint",
		"float", "double", "real", "time", "timestamp":
		return true
	}
	return false
}

func pgValueFunction(name string) bool {
	switch name {
	case
		"array_agg", "string_agg", "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg",
		"bool_and", "bool_or", "every", "stddev", "stddev_pop", "stddev_samp", "variance",
		"var_pop", "var_samp", "percentile_cont", "percentile_disc", "mode", "corr",
		"initcap", "split_part", "strpos", "btrim", "regexp_replace", "regexp_match",
		"regexp_matches", "regexp_split_to_array", "regexp_split_to_table", "translate", "format",
		"md5", "encode", "decode", "to_hex", "quote_ident", "quote_literal", "quote_nullable",
		"concat_ws", "starts_with", "string_to_array", "array_to_string", "overlay", "chr",
		"date_trunc", "date_part", "age", "to_char", "to_date", "to_timestamp", "to_number",
		"make_date", "make_time", "make_timestamp", "make_timestamptz", "make_interval",
		"clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday",
		"generate_series", "unnest", "array_length", "array_upper", "array_lower", "cardinality",
		"array_position", "array_positions", "array_remove", "array_append", "array_prepend",
		"array_cat",
		"to_json", "to_jsonb", "row_to_json", "json_build_object", "jsonb_build_object",
		"json_build_array", "jsonb_build_array", "jsonb_set", "jsonb_insert", "jsonb_strip_nulls",
		"json_extract_path", "jsonb_extract_path", "json_extract_path_text",
		"jsonb_extract_path_text", "json_array_elements", "jsonb_array_elements",
		"json_array_elements_text", "jsonb_array_elements_text", "json_each", "jsonb_each",
		"json_each_text", "jsonb_each_text", "jsonb_object_keys", "json_object_keys",
		"jsonb_array_length", "json_array_length", "jsonb_typeof", "json_typeof", "jsonb_pretty",
		"jsonb_path_query", "jsonb_path_exists",
		"gen_random_uuid", "pg_typeof", "current_schema", "current_database", "current_catalog",
		"current_role", "current_setting", "version", "num_nulls", "num_nonnulls", "width_bucket",
		"text", "bool", "boolean", "date_bin", "isfinite", "justify_days", "justify_hours",
		"justify_interval", "div", "cbrt", "degrees", "radians", "scale",
		"to_tsvector", "to_tsquery", "plainto_tsquery", "websearch_to_tsquery", "ts_rank":
		return true
	}
	return false
}

func mysqlValueFunction(name string) bool {
	switch name {
	case
		"if", "ifnull", "isnull", "group_concat", "json_arrayagg", "json_objectagg", "bit_and",
		"bit_or", "bit_xor", "std", "stddev", "variance",
		"concat_ws", "locate", "field", "find_in_set", "format", "lcase", "ucase", "mid",
		"space", "strcmp", "soundex", "unhex", "md5", "sha1", "sha2", "to_base64", "from_base64",
		"regexp_replace", "regexp_substr", "regexp_instr", "regexp_like", "substring_index",
		"date_format", "str_to_date", "date_add", "date_sub", "adddate", "subdate", "datediff",
		"timestampdiff", "timestampadd", "unix_timestamp", "from_unixtime", "curdate", "curtime",
		"sysdate", "year", "month", "day", "dayofmonth", "dayofweek", "dayofyear", "hour",
		"minute", "second", "week", "weekday", "quarter", "last_day", "makedate", "maketime",
		"utc_date", "utc_time", "utc_timestamp", "convert_tz",
		"json_extract", "json_unquote", "json_object", "json_array", "json_contains",
		"json_contains_path", "json_keys", "json_length", "json_type", "json_valid", "json_search",
		"json_value",
		"convert", "database", "schema", "version", "connection_id", "found_rows", "row_count",
		"uuid", "crc32", "conv", "bin", "oct", "signed", "unsigned":
		return true
	}
	return false
}

func sqliteValueFunction(name string) bool {
	switch name {
	case
		"ifnull", "iif", "printf", "format", "quote", "typeof", "unicode", "glob", "like",
		"likelihood", "likely", "unlikely", "group_concat", "string_agg", "total", "zeroblob",
		"randomblob", "strftime", "datetime", "julianday", "unixepoch", "time",
		"json", "json_extract", "json_object", "json_array", "json_array_length", "json_type",
		"json_valid", "json_group_array", "json_group_object", "json_each", "json_tree",
		"json_quote", "sqlite_version", "last_insert_rowid", "changes", "total_changes":
		return true
	}
	return false
}
