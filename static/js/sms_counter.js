// The SMS character counter: the same rules as twilio_sms/segments.py (the tests feed both
// the same cases). GSM-7: 160 in one SMS, 153 per part; the extension table (€ ^ { } [ ] ~ \ |
// and the form feed) counts double. Any other character makes the text UCS-2: 70 / 67,
// counted in UTF-16 code units.
(function (root) {
  "use strict";

  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "\f^{}\\[~]|€";
  var SINGLE = { "GSM-7": 160, "UCS-2": 70 };
  var PER_PART = { "GSM-7": 153, "UCS-2": 67 };

  function segmentCount(text) {
    var forcing = [];
    var septets = 0;
    // for…of walks code points, as Python's str does.
    for (var ch of text) {
      if (BASIC.indexOf(ch) !== -1) septets += 1;
      else if (EXTENSION.indexOf(ch) !== -1) septets += 2;
      else if (forcing.indexOf(ch) === -1) forcing.push(ch);
    }
    var encoding = forcing.length ? "UCS-2" : "GSM-7";
    var units = forcing.length ? text.length : septets;  // .length is UTF-16 code units
    var single = SINGLE[encoding];
    if (units <= single) {
      return { encoding: encoding, units: units, segments: units ? 1 : 0, perSegment: single, ucs2Characters: forcing };
    }
    var perPart = PER_PART[encoding];
    return { encoding: encoding, units: units, segments: Math.ceil(units / perPart), perSegment: perPart, ucs2Characters: forcing };
  }

  function describe(count) {
    if (count.segments <= 1) {
      var line = count.units + " / " + count.perSegment + " characters · 1 SMS";
    } else {
      var line = count.units + " characters · " + count.segments + " SMS (" + count.perSegment + " per part)";
    }
    if (count.encoding === "UCS-2") {
      line += " · Unicode (UCS-2) because of: " + count.ucs2Characters.join(" ");
    }
    return line;
  }

  if (typeof module !== "undefined" && module.exports) {
    module.exports = { segmentCount: segmentCount, describe: describe };
    return;
  }
  root.smsSegmentCount = segmentCount;

  function update(field) {
    var out = document.getElementById(field.getAttribute("data-sms-counter"));
    if (!out) return;
    var count = segmentCount(field.value);
    out.textContent = describe(count);
    out.setAttribute("data-segments", count.segments);
    out.setAttribute("data-encoding", count.encoding);
  }
  function wire(scope) {
    scope.querySelectorAll("textarea[data-sms-counter]").forEach(update);
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-sms-counter]")) update(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function (event) { wire(event.target); });
})(this);
