// modeltoolJSON.parse reads modeltool's JSON without losing a digit: every number comes back as
// the string of its literal ("325357493893988352", "0.5"), never as a float, since JavaScript's
// numbers round integers above 2^53. BigInt(s) gives an integer's exact value. Strict JSON
// (RFC 8259); a syntax error throws with its offset. Shared by the HTML report and the web app
// of modeltool serve.
var modeltoolJSON = (function () {
  "use strict";
  var NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  var STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
  var SPACE = /[ \t\n\r]*/y;

  function parse(text) {
    var i = 0;
    function fail(what) {
      throw new SyntaxError("modeltoolJSON: " + what + " at offset " + i);
    }
    function space() {
      SPACE.lastIndex = i;
      SPACE.exec(text);
      i = SPACE.lastIndex;
    }
    function match(re) {
      re.lastIndex = i;
      var m = re.exec(text);
      if (!m) return null;
      i = re.lastIndex;
      return m[0];
    }
    function value() {
      space();
      var c = text.charAt(i);
      if (c === "{") {
        i++;
        var obj = {};
        space();
        if (text.charAt(i) === "}") { i++; return obj; }
        for (;;) {
          space();
          var k = match(STRING);
          if (k === null) fail("expected a key");
          space();
          if (text.charAt(i) !== ":") fail("expected ':'");
          i++;
          Object.defineProperty(obj, JSON.parse(k), { value: value(), enumerable: true, writable: true, configurable: true });
          space();
          c = text.charAt(i++);
          if (c === "}") return obj;
          if (c !== ",") fail("expected ',' or '}'");
        }
      }
      if (c === "[") {
        i++;
        var arr = [];
        space();
        if (text.charAt(i) === "]") { i++; return arr; }
        for (;;) {
          arr.push(value());
          space();
          c = text.charAt(i++);
          if (c === "]") return arr;
          if (c !== ",") fail("expected ',' or ']'");
        }
      }
      if (c === '"') {
        var s = match(STRING);
        if (s === null) fail("bad string");
        return JSON.parse(s);
      }
      var n = match(NUMBER);
      if (n !== null) return n;
      if (text.startsWith("true", i)) { i += 4; return true; }
      if (text.startsWith("false", i)) { i += 5; return false; }
      if (text.startsWith("null", i)) { i += 4; return null; }
      fail("unexpected " + (c ? JSON.stringify(c) : "end"));
    }
    var v = value();
    space();
    if (i !== text.length) fail("text after the value");
    return v;
  }

  return { parse: parse };
})();
