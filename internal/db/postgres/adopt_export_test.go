package postgres

// Adopt runs the adoption of a dashboard database on its own, for the
// tests of adopt.go, before Open has migrations to run after it.
var Adopt = adopt
