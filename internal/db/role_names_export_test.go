package db

// RoleNamesOf exposes roleNamesOf to the external tests.
const RoleNamesOf = roleNamesOf
