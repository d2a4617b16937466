//go:build race

package password_test

// raceEnabled reports a test binary built with -race, whose detector maps
// shadow memory of its own as the program touches memory.
const raceEnabled = true
