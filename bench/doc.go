// Package bench holds wsecho's benchmarks, in a module of their own so that the
// peers it compares against, and their dependencies, stay out of wsecho's.
//
//   - wsbench runs everything and prints the table (make bench);
//   - rawecho is a raw TCP echo: the limit any WebSocket echo can approach;
//   - gorillaecho is a plain streaming gorilla/websocket echo, the fastest Go
//     peer measured so far.
package bench
