// The same declarations through require (the dist/index.d.cts route).
import edgeflags = require("edgeflags"); const f = new edgeflags.Flags({ flags: {} }); const b: boolean = f.isEnabled("a"); export = b;
