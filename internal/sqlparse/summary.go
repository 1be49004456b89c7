package sqlparse

// kindNames are the upper-case names used in summaries.
var kindNames = [...]string{
	KindUnknown: "UNKNOWN", KindSelect: "SELECT", KindInsert: "INSERT", KindUpdate: "UPDATE",
	KindDelete: "DELETE", KindMerge: "MERGE", KindReplace: "REPLACE", KindCreate: "CREATE",
	KindAlter: "ALTER", KindDrop: "DROP", KindTruncate: "TRUNCATE", KindRename: "RENAME",
	KindComment: "COMMENT", KindGrant: "GRANT", KindRevoke: "REVOKE", KindCopy: "COPY",
	KindLoadData: "LOAD DATA", KindCall: "CALL", KindDo: "DO", KindPrepare: "PREPARE",
	KindExecute: "EXECUTE", KindDeallocate: "DEALLOCATE", KindSet: "SET", KindReset: "RESET",
	KindShow: "SHOW", KindBegin: "BEGIN", KindCommit: "COMMIT", KindRollback: "ROLLBACK",
	KindSavepoint: "SAVEPOINT", KindRelease: "RELEASE", KindExplain: "EXPLAIN", KindLock: "LOCK",
	KindUnlock: "UNLOCK", KindVacuum: "VACUUM", KindAnalyze: "ANALYZE", KindUse: "USE",
	KindAttach: "ATTACH", KindPragma: "PRAGMA", KindListen: "LISTEN", KindCheckpoint: "CHECKPOINT",
	KindDiscard: "DISCARD", KindReindex: "REINDEX", KindCluster: "CLUSTER", KindRefresh: "REFRESH",
	KindSecurityLabel: "SECURITY LABEL", KindImport: "IMPORT", KindHandler: "HANDLER",
	KindFlush: "FLUSH", KindValues: "VALUES", KindTable: "TABLE", KindOther: "OTHER",
}

// String returns the kind's upper-case SQL name ("SELECT", "LOAD DATA").
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "UNKNOWN"
}

// summary describes a script in a few words: the first statement's kind
// (its effect when that modifies data the kind does not say, as a DELETE in
// a CTE) and its main table ("SELECT users", "DELETE orders"), with " …" when
// more statements follow. Incomplete statements are "UNKNOWN" unless the
// kind was recognised.
func (a *analyzer) summary(sc *Script, b []byte) []byte {
	if len(sc.Statements) == 0 {
		return b
	}
	st := &sc.Statements[0]
	name := st.Kind.String()
	if severity(st.Effect) > severity(st.Kind) {
		// Name what it does: a DELETE in a CTE of a SELECT is a DELETE.
		name = st.Effect.String()
	}
	var t Table
	switch {
	case len(st.Writes) > 0:
		t = st.Writes[0]
	case len(st.Reads) > 0:
		t = st.Reads[0]
	}
	if t.Name == "" || !st.Complete {
		b = append(b, name...)
		if len(sc.Statements) > 1 {
			b = append(b, " …"...)
		}
		return b
	}
	b = append(b, name...)
	b = append(b, ' ')
	if t.Schema != "" {
		b = append(b, t.Schema...)
		b = append(b, '.')
	}
	b = append(b, t.Name...)
	if len(sc.Statements) > 1 {
		b = append(b, " …"...)
	}
	return b
}
