package sqlite

// RoleNamesOf exposes roleNamesOf to the external tests.
const RoleNamesOf = roleNamesOf

// WrongRoleNames exposes wrongRoleNames to the external tests.
var WrongRoleNames = wrongRoleNames
