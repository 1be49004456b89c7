package sqlparse

// The analyser fills in the public statement model of package sqlstmt; it
// uses the model under its own names.

import "github.com/sqlvigil/sqlvigil/sqlstmt"

// The statement model (see package sqlstmt).
type (
	Dialect      = sqlstmt.Dialect
	Kind         = sqlstmt.Kind
	ObjectType   = sqlstmt.ObjectType
	Table        = sqlstmt.Table
	Where        = sqlstmt.Where
	Restriction  = sqlstmt.Restriction
	Column       = sqlstmt.Column
	Store        = sqlstmt.Store
	Statement    = sqlstmt.Statement
	Setting      = sqlstmt.Setting
	SettingScope = sqlstmt.SettingScope
	Script       = sqlstmt.Script
	Placeholders = sqlstmt.Placeholders
)

// The model's constants.
const (
	DialectUnknown         = sqlstmt.DialectUnknown
	PostgreSQL             = sqlstmt.PostgreSQL
	MySQL                  = sqlstmt.MySQL
	SQLite                 = sqlstmt.SQLite
	KindUnknown            = sqlstmt.KindUnknown
	KindSelect             = sqlstmt.KindSelect
	KindInsert             = sqlstmt.KindInsert
	KindUpdate             = sqlstmt.KindUpdate
	KindDelete             = sqlstmt.KindDelete
	KindMerge              = sqlstmt.KindMerge
	KindReplace            = sqlstmt.KindReplace
	KindCreate             = sqlstmt.KindCreate
	KindAlter              = sqlstmt.KindAlter
	KindDrop               = sqlstmt.KindDrop
	KindTruncate           = sqlstmt.KindTruncate
	KindRename             = sqlstmt.KindRename
	KindComment            = sqlstmt.KindComment
	KindGrant              = sqlstmt.KindGrant
	KindRevoke             = sqlstmt.KindRevoke
	KindCopy               = sqlstmt.KindCopy
	KindLoadData           = sqlstmt.KindLoadData
	KindCall               = sqlstmt.KindCall
	KindDo                 = sqlstmt.KindDo
	KindPrepare            = sqlstmt.KindPrepare
	KindExecute            = sqlstmt.KindExecute
	KindDeallocate         = sqlstmt.KindDeallocate
	KindSet                = sqlstmt.KindSet
	KindReset              = sqlstmt.KindReset
	KindShow               = sqlstmt.KindShow
	KindBegin              = sqlstmt.KindBegin
	KindCommit             = sqlstmt.KindCommit
	KindRollback           = sqlstmt.KindRollback
	KindSavepoint          = sqlstmt.KindSavepoint
	KindRelease            = sqlstmt.KindRelease
	KindExplain            = sqlstmt.KindExplain
	KindLock               = sqlstmt.KindLock
	KindUnlock             = sqlstmt.KindUnlock
	KindVacuum             = sqlstmt.KindVacuum
	KindAnalyze            = sqlstmt.KindAnalyze
	KindUse                = sqlstmt.KindUse
	KindAttach             = sqlstmt.KindAttach
	KindPragma             = sqlstmt.KindPragma
	KindListen             = sqlstmt.KindListen
	KindCheckpoint         = sqlstmt.KindCheckpoint
	KindDiscard            = sqlstmt.KindDiscard
	KindReindex            = sqlstmt.KindReindex
	KindCluster            = sqlstmt.KindCluster
	KindRefresh            = sqlstmt.KindRefresh
	KindSecurityLabel      = sqlstmt.KindSecurityLabel
	KindImport             = sqlstmt.KindImport
	KindHandler            = sqlstmt.KindHandler
	KindFlush              = sqlstmt.KindFlush
	KindValues             = sqlstmt.KindValues
	KindTable              = sqlstmt.KindTable
	KindOther              = sqlstmt.KindOther
	ObjectUnknown          = sqlstmt.ObjectUnknown
	ObjectNone             = sqlstmt.ObjectNone
	ObjectTable            = sqlstmt.ObjectTable
	ObjectView             = sqlstmt.ObjectView
	ObjectMaterializedView = sqlstmt.ObjectMaterializedView
	ObjectIndex            = sqlstmt.ObjectIndex
	ObjectSequence         = sqlstmt.ObjectSequence
	ObjectSchema           = sqlstmt.ObjectSchema
	ObjectDatabase         = sqlstmt.ObjectDatabase
	ObjectFunction         = sqlstmt.ObjectFunction
	ObjectProcedure        = sqlstmt.ObjectProcedure
	ObjectTrigger          = sqlstmt.ObjectTrigger
	ObjectDataType         = sqlstmt.ObjectDataType
	ObjectExtension        = sqlstmt.ObjectExtension
	ObjectRole             = sqlstmt.ObjectRole
	ObjectPolicy           = sqlstmt.ObjectPolicy
	ObjectTablespace       = sqlstmt.ObjectTablespace
	ObjectOther            = sqlstmt.ObjectOther
	RestrictionUnknown     = sqlstmt.RestrictionUnknown
	RestrictionNoWrites    = sqlstmt.RestrictionNoWrites
	RestrictionAll         = sqlstmt.RestrictionAll
	RestrictionMissing     = sqlstmt.RestrictionMissing
	ScopeUnknown           = sqlstmt.ScopeUnknown
	ScopeSession           = sqlstmt.ScopeSession
	ScopeTransaction       = sqlstmt.ScopeTransaction
	ScopeGlobal            = sqlstmt.ScopeGlobal
	ScopePersist           = sqlstmt.ScopePersist
	ScopeDatabase          = sqlstmt.ScopeDatabase
	ScopeServer            = sqlstmt.ScopeServer
)
