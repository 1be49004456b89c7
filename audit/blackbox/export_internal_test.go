package blackbox

// LocksAcrossProcesses tells the tests whether a black box's lock excludes
// other processes on this platform.
const LocksAcrossProcesses = locksAcrossProcesses
