package guard

import "github.com/sqlvigil/sqlvigil/internal/sqlparse"

// Statement kinds, re-exported from the analyser so that rules written
// outside this module can name them. See [Statement].
const (
	KindUnknown       = sqlparse.KindUnknown
	KindSelect        = sqlparse.KindSelect
	KindInsert        = sqlparse.KindInsert
	KindUpdate        = sqlparse.KindUpdate
	KindDelete        = sqlparse.KindDelete
	KindMerge         = sqlparse.KindMerge
	KindReplace       = sqlparse.KindReplace
	KindCreate        = sqlparse.KindCreate
	KindAlter         = sqlparse.KindAlter
	KindDrop          = sqlparse.KindDrop
	KindTruncate      = sqlparse.KindTruncate
	KindRename        = sqlparse.KindRename
	KindComment       = sqlparse.KindComment
	KindGrant         = sqlparse.KindGrant
	KindRevoke        = sqlparse.KindRevoke
	KindCopy          = sqlparse.KindCopy
	KindLoadData      = sqlparse.KindLoadData
	KindCall          = sqlparse.KindCall
	KindDo            = sqlparse.KindDo
	KindPrepare       = sqlparse.KindPrepare
	KindExecute       = sqlparse.KindExecute
	KindDeallocate    = sqlparse.KindDeallocate
	KindSet           = sqlparse.KindSet
	KindReset         = sqlparse.KindReset
	KindShow          = sqlparse.KindShow
	KindBegin         = sqlparse.KindBegin
	KindCommit        = sqlparse.KindCommit
	KindRollback      = sqlparse.KindRollback
	KindSavepoint     = sqlparse.KindSavepoint
	KindRelease       = sqlparse.KindRelease
	KindExplain       = sqlparse.KindExplain
	KindLock          = sqlparse.KindLock
	KindUnlock        = sqlparse.KindUnlock
	KindVacuum        = sqlparse.KindVacuum
	KindAnalyze       = sqlparse.KindAnalyze
	KindUse           = sqlparse.KindUse
	KindAttach        = sqlparse.KindAttach
	KindPragma        = sqlparse.KindPragma
	KindListen        = sqlparse.KindListen
	KindCheckpoint    = sqlparse.KindCheckpoint
	KindDiscard       = sqlparse.KindDiscard
	KindReindex       = sqlparse.KindReindex
	KindCluster       = sqlparse.KindCluster
	KindRefresh       = sqlparse.KindRefresh
	KindSecurityLabel = sqlparse.KindSecurityLabel
	KindImport        = sqlparse.KindImport
	KindHandler       = sqlparse.KindHandler
	KindFlush         = sqlparse.KindFlush
	KindValues        = sqlparse.KindValues
	KindTable         = sqlparse.KindTable
	KindOther         = sqlparse.KindOther
)

// Scopes of a [Setting], re-exported from the analyser.
const (
	ScopeUnknown     = sqlparse.ScopeUnknown
	ScopeSession     = sqlparse.ScopeSession
	ScopeTransaction = sqlparse.ScopeTransaction
	ScopeGlobal      = sqlparse.ScopeGlobal
	ScopePersist     = sqlparse.ScopePersist
	ScopeDatabase    = sqlparse.ScopeDatabase
	ScopeServer      = sqlparse.ScopeServer
)

// Object types a DDL, GRANT or REVOKE statement acts on. See [Statement].
const (
	ObjectUnknown          = sqlparse.ObjectUnknown
	ObjectNone             = sqlparse.ObjectNone
	ObjectTable            = sqlparse.ObjectTable
	ObjectView             = sqlparse.ObjectView
	ObjectMaterializedView = sqlparse.ObjectMaterializedView
	ObjectIndex            = sqlparse.ObjectIndex
	ObjectSequence         = sqlparse.ObjectSequence
	ObjectSchema           = sqlparse.ObjectSchema
	ObjectDatabase         = sqlparse.ObjectDatabase
	ObjectFunction         = sqlparse.ObjectFunction
	ObjectProcedure        = sqlparse.ObjectProcedure
	ObjectTrigger          = sqlparse.ObjectTrigger
	ObjectDataType         = sqlparse.ObjectDataType
	ObjectExtension        = sqlparse.ObjectExtension
	ObjectRole             = sqlparse.ObjectRole
	ObjectPolicy           = sqlparse.ObjectPolicy
	ObjectTablespace       = sqlparse.ObjectTablespace
	ObjectOther            = sqlparse.ObjectOther
)
