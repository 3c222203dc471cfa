// Bespoken's virtual-alexa as a real Alexa client for Strong Back's tests (tests/test_virtual_alexa.py).
//
// Reads one JSON command a line on stdin and answers one JSON line on stdout:
//   {"op": "start", "locale": "en-GB", "model": "<path>", "url": "http://127.0.0.1:PORT/"}
//   {"op": "match", "texts": ["start a workout", ...]}   -> {"results": [{"intent", "slots"} | null, ...]}
//   {"op": "launch"} / {"op": "utter", "text": "..."} / {"op": "end"} (the person walks away)
//                                                       -> {"request": <envelope sent>, "response": <reply>}
//   {"op": "new_user"}                                  -> a new user id, no session
// "utter" maps the words to an intent and slots with virtual-alexa's own sample matcher
// (virtual-core's Utterance), builds the envelope with virtual-alexa and POSTs it to the skill.
//
// virtual-alexa 0.7.8 has limits that real Alexa does not; each is worked around here, faithfully:
//  1. Launch phrases. VirtualAlexa.utter() treats ANY utterance containing "ask", "open", "tell",
//     "launch" or "talk to" as a launch ("tell me my progress" and "what can I ask you" open the
//     skill). Here only a real launch phrase ("open strong back", "ask strong back to X") is one;
//     everything else goes through the same matcher and request builder utter() uses.
//  2. AMAZON.DURATION. virtual-alexa knows no such type, so {duration} takes ANY words (even none:
//     "start my back workout" fills it with "my back") and sends the words themselves. Alexa fills
//     it only with a spoken duration and sends ISO-8601. Here the type is registered through
//     virtual-alexa's own extension point (a builtin slot type with a pattern, as it does for
//     AMAZON.NUMBER) and a request filter turns the words into ISO-8601 ("ten minute" -> PT10M).
//  3. Slots side by side. Every slot becomes "(.*)" in one regular expression, and JavaScript
//     commits to the first split, so "{duration} {area} workout" gives "ten minute upper back" to
//     the duration and nothing to the area: no sample with two adjacent slots could ever match.
//     Here each slot's group accepts only the values of its type (which is what virtual-alexa checks
//     afterwards anyway: a custom slot must equal a value or synonym), so the regex engine finds
//     the split Alexa would. Everything else (scoring by literal characters, first intent on a tie,
//     virtual-alexa's built-in samples, entity resolution) is virtual-alexa's own.
"use strict";

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1"; // virtual-alexa loads aws-sdk v2, which warns on load

const fs = require("fs");
const readline = require("readline");
const va = require("virtual-alexa");
const core = require("virtual-core");
const sampleUtterances = require("virtual-core/lib/src/SampleUtterances");
const builtinTypes = require("virtual-alexa/lib/src/model/BuiltinSlotTypes");
const { SkillRequest } = require("virtual-alexa/lib/src/core/SkillRequest");
const { SlotValue } = require("virtual-alexa/lib/src/impl/SlotValue");
const { User } = require("virtual-alexa/lib/src/core/User");

// ---- spoken durations (workaround 2) ----------------------------------------------------------
const ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
  "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
const TENS = { twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 };
const UNIT_SECONDS = { second: 1, minute: 60, hour: 3600 };
const NUMBER = `(?:(?:${Object.keys(TENS).join("|")})(?: (?:${ONES.slice(1, 10).join("|")}))?|${ONES.join("|")}|an?)`;
const PIECE = `${NUMBER} (?:second|minute|hour)s?(?: and a half)?`;
const FRACTION = "(?:half an hour|a half hour|a quarter of an hour|three quarters of an hour)";
const DURATION = `(?:${FRACTION}|${PIECE}(?: (?:and )?${PIECE})?)`;

function numberValue(words) {
  if (words.length === 2) return TENS[words[0]] + ONES.indexOf(words[1]);
  if (words[0] in TENS) return TENS[words[0]];
  return words[0] === "a" || words[0] === "an" ? 1 : ONES.indexOf(words[0]);
}

/** ISO-8601 for a spoken duration, in the largest unit said, as Alexa sends it ("ninety minutes" -> PT90M). */
function isoDuration(text) {
  const spoken = text.toLowerCase().trim().replace(/\s+/g, " ");
  const fractions = { "half an hour": 1800, "a half hour": 1800, "a quarter of an hour": 900, "three quarters of an hour": 2700 };
  let seconds = fractions[spoken];
  let largest = 60;
  if (seconds === undefined) {
    seconds = 0;
    largest = 0;
    const piece = new RegExp(`(${NUMBER}) (second|minute|hour)s?( and a half)?`, "g");
    for (const found of spoken.matchAll(piece)) {
      const unit = UNIT_SECONDS[found[2]];
      seconds += (numberValue(found[1].split(" ")) + (found[3] ? 0.5 : 0)) * unit;
      largest = Math.max(largest, unit);
    }
  }
  let rest = Math.round(seconds);
  const hours = largest >= 3600 ? Math.floor(rest / 3600) : 0;
  rest -= hours * 3600;
  const minutes = largest >= 60 ? Math.floor(rest / 60) : 0;
  rest -= minutes * 60;
  const iso = "PT" + (hours ? `${hours}H` : "") + (minutes ? `${minutes}M` : "") + (rest ? `${rest}S` : "");
  return iso === "PT" ? "PT0S" : iso;
}

class DurationSlotType extends core.SlotType {
  constructor() {
    super("AMAZON.DURATION", []);
    this.pattern = DURATION;
    this.whole = new RegExp(`^${DURATION}$`, "i");
  }
  isCustom() {
    return false;
  }
  isBuiltin() {
    return true;
  }
  match(value) {
    const spoken = value.trim();
    return this.whole.test(spoken) ? new core.SlotMatch(true, spoken) : new core.SlotMatch(false);
  }
}

const builtinValues = builtinTypes.BuiltinSlotTypes.values;
builtinTypes.BuiltinSlotTypes.values = () => [...builtinValues(), new DurationSlotType()];

// ---- slots side by side (workaround 3) --------------------------------------------------------
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function slotPattern(samplePhrase, slotName) {
  const model = samplePhrase.sampleUtterances.interactionModel();
  const slot = model.intentSchema.intent(samplePhrase.intent).slotForName(slotName);
  const type = slot ? model.slotTypes.slotType(slot.type) : undefined;
  if (type && type.pattern) return type.pattern;
  if (!type || type.values.length === 0) return ".*";
  const words = [];
  for (const value of type.values) words.push(value.name.value, ...(value.name.synonyms || []));
  words.sort((a, b) => b.length - a.length);
  return "(?:" + words.map(escape).join("|") + ")";
}

sampleUtterances.SamplePhrase.prototype.regex = function regex() {
  if (!this.typedRegex) {
    const parts = this.phrase.trim().split(/\s+/).map((word) => {
      const slot = /^\{([^}|]+)\}$/.exec(word);
      return slot ? `(${slotPattern(this, slot[1])})` : escape(word);
    });
    this.typedRegex = new RegExp("^" + parts.join(" ") + "$", "i");
  }
  return this.typedRegex;
};

// Speed only: virtual-alexa builds a full test object (cleaning the words again) for every sample;
// a sample whose pattern cannot match the cleaned words is answered "no" at once, the same answer.
const CLEAN = /[\!\"\¿\?|\#\$\%\/\(\)\=\+\-\_\<\>\*\{\}\·\¡\[\]\.\,\;\:]/g; // as SamplePhraseTest
const NO_MATCH = { matches: () => false };
let cleaned = { from: null, to: null };
const matchesUtterance = sampleUtterances.SamplePhrase.prototype.matchesUtterance;
sampleUtterances.SamplePhrase.prototype.matchesUtterance = function quick(utterance) {
  if (cleaned.from !== utterance) {
    const to = utterance.replace(CLEAN, "");
    cleaned = { from: utterance, to, first: to.split(" ")[0].toLowerCase() };
  }
  if (this.firstWord === undefined) {
    const first = this.phrase.trim().split(/\s+/)[0];
    this.firstWord = first.startsWith("{") ? null : first.toLowerCase();
  }
  if (this.firstWord !== null && this.firstWord !== cleaned.first) return NO_MATCH;
  return this.regex().test(cleaned.to) ? matchesUtterance.call(this, utterance) : NO_MATCH;
};

// virtual-alexa refuses a slot value with no space on either side (its "(.*)" groups are glued to
// the words around them); the groups above already stop at word boundaries, so give it the spaces.
const checkSlots = sampleUtterances.SamplePhraseTest.prototype.checkSlots;
sampleUtterances.SamplePhraseTest.prototype.checkSlots = function spaced(input, values) {
  return checkSlots.call(this, input, values.map((value) => ` ${value} `));
};

// ---- the client -------------------------------------------------------------------------------
let alexa = null;
let durationSlots = {};
let lastSent = null;

function start(command) {
  const model = JSON.parse(fs.readFileSync(command.model, "utf8"));
  durationSlots = {};
  for (const intent of model.interactionModel.languageModel.intents) {
    durationSlots[intent.name] = (intent.slots || []).filter((s) => s.type === "AMAZON.DURATION").map((s) => s.name);
  }
  alexa = va.VirtualAlexa.Builder().interactionModel(model).skillURL(command.url).locale(command.locale).create();
  alexa.filter((request) => {
    const intent = request.request.intent;
    for (const name of (intent && durationSlots[intent.name]) || []) {
      const slot = intent.slots[name];
      if (slot && slot.value) slot.value = isoDuration(slot.value);
    }
    lastSent = JSON.parse(JSON.stringify(request));
  });
  return { ok: true };
}

function understand(text) {
  const utterance = new core.Utterance(alexa.context().interactionModel(), text);
  if (!utterance.matched()) return null;
  return { intent: utterance.intent(), slots: utterance.toJSON() };
}

const isDuration = (intent, slot) => (durationSlots[intent] || []).includes(slot);

/** What the skill would receive for these words: the intent and each slot's resolved id (or ISO duration). */
function resolved(text) {
  const found = understand(text);
  if (!found) return null;
  const slots = {};
  for (const [name, value] of Object.entries(found.slots)) {
    if (isDuration(found.intent, name)) {
      slots[name] = isoDuration(value);
      continue;
    }
    const slot = new SlotValue(name, value);
    slot.setEntityResolution(alexa.context(), found.intent);
    const authorities = (slot.resolutions && slot.resolutions.resolutionsPerAuthority) || [];
    const match = authorities.find((a) => a.status.code === "ER_SUCCESS_MATCH");
    slots[name] = match ? match.values[0].value.id : null;
  }
  return { intent: found.intent, slots, heard: found.slots };
}

async function send(request) {
  lastSent = null;
  const reply = await alexa.call(request);
  return { request: lastSent, response: reply };
}

async function utter(text) {
  const launch = /^(?:open|launch|start|talk to) strong back$/i.exec(text.trim());
  const oneShot = /^(?:ask|tell) strong back (?:to |for |about |if |whether )?(.+)$/i.exec(text.trim());
  if (launch) return send(new SkillRequest(alexa).launch());
  const words = oneShot ? oneShot[1] : text;
  const found = understand(words);
  if (!found) return { unmatched: words };
  return send(new SkillRequest(alexa).intent(found.intent).slots(found.slots));
}

async function handle(command) {
  switch (command.op) {
    case "start":
      return start(command);
    case "match":
      return { results: command.texts.map(resolved) };
    case "launch":
      return send(new SkillRequest(alexa).launch());
    case "utter":
      return utter(command.text);
    case "new_user": // someone else at the same device: no session, a new user id
      alexa.context().endSession();
      alexa.context()._user = new User();
      return { ok: true };
    case "end":
      return send(new SkillRequest(alexa).sessionEnded(2));
    default:
      throw new Error(`unknown op ${command.op}`);
  }
}

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
  queue = queue.then(async () => {
    let answer;
    try {
      answer = await handle(JSON.parse(line));
    } catch (error) {
      answer = { error: String(error && error.stack ? error.stack : error) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
});
