"""Voice-input benchmark: how many spoken commands are understood, how often a session would end
by mistake, whether noise alone is ever a command, and how fast.

    python benchmarks/bench_listen.py            # the held-out test set (about 25 minutes on 2 cores)
    python benchmarks/bench_listen.py --set tune  # the commands that settings were chosen on
    python benchmarks/bench_listen.py --set dev   # chosen on too, but never added to the models
    python benchmarks/bench_listen.py --full      # every voice in every condition (hours)
    python benchmarks/bench_listen.py --quick     # the targets only: 2 voices of each engine, clean and pink 15 dB
    python benchmarks/bench_listen.py --in-session  # as --quick, the coach learning each voice as it goes
    python benchmarks/bench_listen.py --learnt    # as --quick, with a model learnt from an earlier session

Commands: ``tests/data/natural_commands.toml`` (phrased as people say them; the ``test`` part is
held out: no setting was ever chosen on it) and ``tests/data/spoken_commands.toml`` (phrased
the way the models list them: "exact"). Voices of three engines (tests/support/spoken.py): espeak-ng,
flite and festival. Conditions: clean; pink noise or music under the voice at 15 and 10 dB SNR;
tempo 0.9 and 1.1; a room's echo (sox's reverb). By default every clip is heard clean and with
pink noise at 15 dB, and each of the other conditions takes its turn over the commands. Noise
alone (pink and music, as loud as under a voice at 15 and 10 dB) is played too: it must never be a
command.

Each clip goes the way ``strong-back --listen`` takes it: cut into utterances against the noise
floor, decoded twice, judged (``local_runner.listening.hearing``). Understood: the one command meant, acted
on at once or after its question ("Stop the workout?", a "yes" away); for speech that is no
command, nothing acted on. Ended by mistake: a stop, cancel or start over acted on at once that
was not meant.

Baseline, in the same run: pocketsphinx's general US English model (its n-gram model and full
dictionary, in the wheel) feeding the same parser, acting on whatever it parses, on the clean
clips of the first voice of each engine.

Real-time factor: CPU seconds of cutting and decoding per second of sound, per process (clips
are shared among worker processes; CPU time, so that other work on the machine does not count).
Targets (issue 15): on natural commands nobody tuned on, across engines, clean and 15 dB noise:
>= 85 % understood, <= 0.5 % ended by mistake, noise never a command, RTF <= 0.1.
"""

from __future__ import annotations

import argparse
import multiprocessing
import pickle
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from local_runner.listening.audio_in import read_wav  # noqa: E402
from local_runner.listening.endpointing import BYTES_PER_SECOND  # noqa: E402
from tests.support import spoken  # noqa: E402

UNDERSTOOD_TARGET = 0.85
MISTAKEN_END_TARGET = 0.005
RTF_TARGET = 0.10
TARGET_CONDITIONS = ("clean", "pink 15 dB")
NOISE_SECONDS = 4.0
NOISE_SEEDS = 6


@dataclass(frozen=True)
class Job:
    command: spoken.Command
    speaker: spoken.Speaker
    condition: spoken.Condition
    baseline: bool = False
    model: str = ""  # an acoustic model learnt from this voice (--learnt); "" for the bundled one


@dataclass(frozen=True)
class Result:
    job: Job
    understood: bool
    ended_by_mistake: bool
    asked: bool
    sorry: bool
    seconds: float
    cpu: float


_worker: dict[str, Any] = {}


def _start_worker(cache: str) -> None:
    from local_runner.listening.hearing import Judge
    from local_runner.listening.recognizer import Recognizer
    from local_runner.understanding.parser import understander

    _worker["cache"] = Path(cache)
    _worker["recognizer"] = Recognizer("en-US")
    _worker["nlu"] = understander("en-US")
    _worker["judge"] = Judge(_worker["nlu"])


def _baseline() -> Any:
    if "baseline" not in _worker:
        import pocketsphinx as ps

        _worker["baseline"] = ps.Decoder(
            hmm=ps.get_model_path("en-us/en-us"),
            lm=ps.get_model_path("en-us/en-us.lm.bin"),
            dict=ps.get_model_path("en-us/cmudict-en-us.dict"),
            loglevel="FATAL",
        )
    return _worker["baseline"]


def _recognizer(model: str) -> Any:
    """The worker's recogniser, hearing with ``model`` (the bundled model for "")."""
    if _worker.get("model", "") != model:
        _worker["recognizer"].use_model(Path(model) if model else _worker["recognizer"].bundled_model)
        _worker["model"] = model
    return _worker["recognizer"]


def earlier_session(part: str, count: int | None) -> list[spoken.Command]:
    """What a voice said before the set ``part`` is heard, for ``--learnt``: the exact phrasings and
    another part's natural commands (of the tune set, or the dev set for the tune set), ``count`` at most."""
    said = spoken.commands() + [
        c for c in spoken.natural_commands("dev" if part == "tune" else "tune") if c.intent != spoken.NOT_A_COMMAND
    ]
    return (said[0::2] + said[1::2])[:count]  # exact and natural phrasings mixed in the first N


def _learn(task: tuple[spoken.Speaker, spoken.Condition, list[spoken.Command], str]) -> str:
    """The model learnt from ``commands`` said by a voice in a condition, as the coach heard them
    (acting on what it understood: no true words are used), kept in ``folder``."""
    from local_runner.listening.adaptation import VoiceModel
    from local_runner.listening.hearing import Verdict
    from local_runner.listening.joining import decisions

    speaker, condition, commands, folder = task
    recognizer = _recognizer("")
    voice = VoiceModel(Path(folder), recognizer.dictionary, recognizer.bundled_model)
    for command in commands:
        pcm = read_wav(spoken.clip(command.say, speaker, condition, _worker["cache"]))
        for decision in decisions(_worker["judge"], recognizer, recognizer.segments([pcm])):
            if decision.heard.verdict is Verdict.ACT:
                voice.add(decision.utterance.pcm, decision.heard.words)
    learnt = voice.adapt()
    voice.close()
    return str(learnt) if learnt is not None else ""  # nothing acted on: the bundled model


def _session(task: tuple[list[Job], str]) -> list[Result]:
    """One voice in one condition saying ``said`` in order, in one session, the coach learning as it
    does live: every ``ADAPT_EVERY`` commands acted on, the model is adapted to them (here between two
    commands, not on a thread; its time is not counted) and heard with from the next on."""
    from local_runner.listening.adaptation import ADAPT_EVERY, VoiceModel
    from local_runner.listening.hearing import Verdict

    said, folder = task
    recognizer = _recognizer("")
    voice = VoiceModel(Path(folder), recognizer.dictionary, recognizer.bundled_model)
    results = []
    for job in said:
        acted: list[Any] = []
        heard = _run(replace(job, model=_worker.get("model", "")), acted.append)  # the model learnt so far
        results.append(replace(heard, job=job))
        for decision in acted:
            if decision.heard.verdict is Verdict.ACT:
                voice.add(decision.utterance.pcm, decision.heard.words)
        if voice.new_since_adapted() >= ADAPT_EVERY and (learnt := voice.adapt()) is not None:
            recognizer.use_model(learnt)
            _worker["model"] = str(learnt)
    voice.close()
    return results


def _run(job: Job, seen: Any = None) -> Result:
    from local_runner.listening.recognizer import decode

    cache: Path = _worker["cache"]
    recognizer, nlu = _recognizer(job.model), _worker["nlu"]
    if job.command.phrasing == "noise":
        kind, snr = job.condition.noise or "pink", job.condition.snr_db
        wav = spoken.noise_clip(kind, snr, NOISE_SECONDS, int(job.command.say.split()[-1]), cache)
    else:
        wav = spoken.clip(job.command.say, job.speaker, job.condition, cache)
    pcm = read_wav(wav)
    started = time.process_time()
    if job.baseline:
        heard = [decode(_baseline(), utterance.pcm) for utterance in recognizer.segments([pcm])]
        acted = tuple(nlu.understand(words).to_contract() for words in heard if words)
        outcome = spoken.Outcome(tuple(act for act in acted if act["intent"] != "AMAZON.FallbackIntent"), (), False)
    else:
        outcome = spoken.outcome(pcm, recognizer, _worker["judge"], nlu, seen)
    cpu = time.process_time() - started
    command = job.command
    return Result(
        job,
        outcome.understood(command),
        outcome.ended_by_mistake(command),
        bool(outcome.asked),
        outcome.sorry,
        len(pcm) / BYTES_PER_SECOND,
        cpu,
    )


def jobs(part: str, full: bool, quick: bool = False) -> list[Job]:
    """Every clip to hear: each command clean and in pink noise at 15 dB, the other conditions in
    turn (all of them with ``full``); noise alone; and the baseline's clean clips."""
    natural, exact = spoken.natural_commands(part), spoken.commands()
    others = [c for c in spoken.CONDITIONS if c.name not in TARGET_CONDITIONS]
    targets = [c for c in spoken.CONDITIONS if c.name in TARGET_CONDITIONS]
    firsts = list({speaker.engine: speaker for speaker in reversed(spoken.VOICES)}.values())
    if quick:  # the held-out figures only: two voices of each engine, clean and 15 dB pink noise
        voices = [v for n, v in enumerate(spoken.VOICES) if [o.engine for o in spoken.VOICES[:n]].count(v.engine) < 2]
        made = [Job(command, speaker, condition) for command in natural for speaker in voices for condition in targets]
        made += [Job(command, speaker, spoken.CLEAN, baseline=True) for command in natural[::2] for speaker in firsts]
        return made + _noise_jobs()
    made = []
    for number, command in enumerate(natural + exact):
        # Exact phrasings are the first tests' commands: heard by one voice of each engine (all with --full).
        speakers = spoken.VOICES if full or command.phrasing != "exact" else firsts
        for voice, speaker in enumerate(speakers):
            conditions = targets + (others if full else [others[(number + voice) % len(others)]])
            made += [Job(command, speaker, condition) for condition in conditions]
    made += [Job(command, speaker, spoken.CLEAN, baseline=True) for command in natural for speaker in firsts]
    return made + _noise_jobs()


def learnt_jobs(pool: Any, todo: list[Job], earlier: list[spoken.Command], folder: Path) -> list[Job]:
    """``todo`` heard with models learnt from ``earlier`` by each voice in each condition (noise alone:
    with the first voice's, learnt in pink noise at 15 dB), grouped by model."""
    said = [j for j in todo if not j.baseline and j.command.phrasing != "noise"]
    pairs = sorted({(j.speaker, j.condition) for j in said}, key=str)
    print(f"learning {len(pairs)} voices and conditions from {len(earlier)} commands each ...", file=sys.stderr)
    tasks = [(speaker, condition, earlier, str(folder / f"voice-{n}")) for n, (speaker, condition) in enumerate(pairs)]
    models = dict(zip(pairs, pool.map(_learn, tasks, chunksize=1), strict=True))
    noisy = models.get((spoken.VOICES[0], spoken.Condition("pink 15 dB", "pink", 15)), "")
    learnt = [replace(j, model=models[j.speaker, j.condition]) for j in said]
    learnt += [replace(j, model=noisy) for j in todo if j.command.phrasing == "noise"]
    return sorted(learnt, key=lambda j: j.model) + [j for j in todo if j.baseline]


def _noise_jobs() -> list[Job]:
    made = []
    for condition in spoken.CONDITIONS:
        if condition.noise:
            for seed in range(NOISE_SEEDS):
                noise = spoken.Command(f"noise {seed}", spoken.NOT_A_COMMAND, phrasing="noise")
                made.append(Job(noise, spoken.VOICES[0], condition))
    return made


def _share(rows: list[Result], field: str) -> str:
    return f"{sum(getattr(row, field) for row in rows) / len(rows):6.1%}" if rows else "     -"


def table(title: str, rows: list[Result], key: Any) -> None:
    groups: dict[str, list[Result]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    print(f"\n{title:34} {'understood':>10} {'ended by mistake':>17} {'asked':>6} {'n':>5}")
    for name in sorted(groups):
        group = groups[name]
        mistaken = sum(row.ended_by_mistake for row in group)
        share = f"{mistaken:>7} ({mistaken / len(group):5.1%})"
        print(f"{name:34} {_share(group, 'understood'):>10} {share} {_share(group, 'asked'):>6} {len(group):>5}")


def typed_and_modelled(natural: list[Result]) -> None:
    """How many of the natural commands the parser understands typed (what hearing can reach at
    best), and the spoken figure without the commands whose intent the models do not have yet."""
    from interaction_models import load_model
    from local_runner.understanding.parser import understander

    nlu = understander("en-US")
    commands = {r.job.command.say: r.job.command for r in natural}
    typed = 0
    for command in commands.values():
        understood = nlu.understand(command.say).to_contract()
        if command.intent == spoken.NOT_A_COMMAND:
            typed += understood["intent"] == "AMAZON.FallbackIntent"
        else:
            typed += command.is_right(understood)
    print(f"\ntyped instead of spoken, the parser understands {typed} of the {len(commands)} natural commands")
    modelled = {intent["name"] for intent in load_model("en-US")["intents"]} | {"LaunchRequest", spoken.NOT_A_COMMAND}
    lacking = sorted({c.intent for c in commands.values()} - modelled)
    if lacking:
        kept = [r for r in natural if r.job.command.intent in modelled and r.job.condition.name in TARGET_CONDITIONS]
        left_out = sum(c.intent in lacking for c in commands.values())
        print(
            f"the models have no {', '.join(lacking)} yet ({left_out} commands): without them, understood "
            f"{_share(kept, 'understood').strip()} (clean and 15 dB pink noise)"
        )


def report(results: list[Result], part: str, took: float, in_session: bool = False) -> None:
    ours = [r for r in results if not r.job.baseline and r.job.command.phrasing != "noise"]
    base = [r for r in results if r.job.baseline]
    noise = [r for r in results if r.job.command.phrasing == "noise"]
    natural = [r for r in ours if r.job.command.phrasing != "exact"]
    sets = {
        "test": "held out: never tuned on",
        "tune": "settings were chosen on it",
        "dev": "settings were chosen on it; its phrasings are not in the models",
    }
    kind = sets[part]
    print(f"set: {part} ({kind}); {len(results)} clips in {took / 60:.1f} min")
    if any(r.job.model for r in results):
        print("each voice heard with a model learnt from an earlier session of its (--learnt); baseline as usual")
    if in_session:
        from local_runner.listening.adaptation import ADAPT_EVERY

        print(f"each voice saying the set in one session, the coach learning as it went (every {ADAPT_EVERY})")
    table("by engine (natural commands)", natural, lambda r: r.job.speaker.engine)
    table("by voice (natural commands)", natural, lambda r: str(r.job.speaker))
    table("by condition (natural commands)", natural, lambda r: r.job.condition.name)
    table("by phrasing (all conditions)", ours, lambda r: r.job.command.phrasing)
    table("by intent meant (natural commands)", natural, lambda r: r.job.command.intent)
    heard = [r for r in noise if not r.understood]
    kinds = f"pink and music at 15 and 10 dB, {NOISE_SECONDS:g} s each"
    print(f"\nnoise alone: {len(heard)} of {len(noise)} clips heard as a command ({kinds})")
    rtf = sum(r.cpu for r in ours) / sum(r.seconds for r in ours)
    base_rtf = sum(r.cpu for r in base) / sum(r.seconds for r in base) if base else float("nan")
    speakers = {b.job.speaker for b in base}
    same = [r for r in natural if r.job.condition.name == "clean" and r.job.speaker in speakers]
    print(
        f"\nbaseline (general model, natural commands, clean, {len(base)} clips): understood "
        f"{_share(base, 'understood').strip()}, ended by mistake {sum(r.ended_by_mistake for r in base)}; "
        f"ours on the same clips: {_share(same, 'understood').strip()}"
    )
    print(f"real-time factor (CPU): ours {rtf:.3f}, baseline {base_rtf:.3f} ({base_rtf / rtf:.1f}x ours)")
    typed_and_modelled(natural)
    target = [r for r in natural if r.job.condition.name in TARGET_CONDITIONS]
    share = sum(r.understood for r in target) / len(target)
    mistaken = sum(r.ended_by_mistake for r in natural) / len(natural)
    print(f"\ntargets on natural commands ({part} set), clean and 15 dB pink noise, all engines:")
    met = "met" if share >= UNDERSTOOD_TARGET else "NOT met"
    print(f"  understood {share:.1%} (target >= {UNDERSTOOD_TARGET:.0%}): {met}")
    print(
        f"  ended by mistake {mistaken:.2%} of all natural clips (target <= {MISTAKEN_END_TARGET:.1%}): "
        f"{'met' if mistaken <= MISTAKEN_END_TARGET else 'NOT met'}"
    )
    print(f"  noise alone never a command: {'met' if not heard else 'NOT met'}")
    print(f"  RTF {rtf:.3f} (target <= {RTF_TARGET}): {'met' if rtf <= RTF_TARGET else 'NOT met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--set", choices=("test", "tune", "dev"), default="test", help="held-out test (default), tune, or dev"
    )
    parser.add_argument("--full", action="store_true", help="every voice in every condition")
    parser.add_argument("--quick", action="store_true", help="two voices of each engine, clean and 15 dB pink noise")
    parser.add_argument(
        "--learnt",
        action="store_true",
        help="as --quick, each voice heard with a model learnt from an earlier session of its (adaptation)",
    )
    parser.add_argument(
        "--in-session",
        action="store_true",
        help="as --quick, each voice saying the set in one session, the coach learning its voice as it goes",
    )
    parser.add_argument(
        "--learn-from", type=int, metavar="N", help="with --learnt: learn from the first N commands (default all)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", help="folder to keep the clips in (default: a temporary one)")
    parser.add_argument("--save", help="keep the results in this file (pickle), to --report them again")
    parser.add_argument("--report", help="print the results kept in this file, hearing nothing")
    args = parser.parse_args()
    if args.report:
        with Path(args.report).open("rb") as kept:
            part, took, results = pickle.load(kept)
        report(results, part, took)
        return 0
    missing = [why for engine in spoken.ENGINES if (why := spoken.engine_missing(engine))]
    if missing:
        print(f"bench_listen: install {', '.join(missing)} (make system-deps)", file=sys.stderr)
        return 1
    from local_runner.listening.recognizer import Recognizer, RecognizerError

    try:  # here, not only in the workers: a worker that cannot start is replaced, forever
        Recognizer("en-US")
    except RecognizerError as error:
        print(f"bench_listen: {error}", file=sys.stderr)
        return 1
    if args.learnt or args.in_session:
        from local_runner.listening.adaptation import AdaptationError, find_tools

        try:
            find_tools()
        except AdaptationError as error:
            print(f"bench_listen: {error}", file=sys.stderr)
            return 1
    todo = jobs(args.set, args.full, args.quick or args.learnt or args.in_session)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as temporary:
        cache = args.cache or temporary
        Path(cache).mkdir(parents=True, exist_ok=True)
        spoken.music(Path(cache))
        with multiprocessing.Pool(args.workers, _start_worker, (cache,)) as pool:
            if args.learnt:
                todo = learnt_jobs(pool, todo, earlier_session(args.set, args.learn_from), Path(temporary))
            if args.in_session:
                said = [j for j in todo if not j.baseline and j.command.phrasing != "noise"]
                sessions = defaultdict(list)
                for job in said:
                    sessions[job.speaker, job.condition].append(job)
                tasks = [(jobs, str(Path(temporary) / f"session-{n}")) for n, jobs in enumerate(sessions.values())]
                results = [r for session in pool.map(_session, tasks, chunksize=1) for r in session]
                results += pool.map(_run, [j for j in todo if j not in said], chunksize=8)
            else:
                results = pool.map(_run, todo, chunksize=8)
    took = time.perf_counter() - started
    if args.save:
        with Path(args.save).open("wb") as out:
            pickle.dump((args.set, took, results), out)
    report(results, args.set, took, args.in_session)
    return 0


if __name__ == "__main__":
    sys.exit(main())
