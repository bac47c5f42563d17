"""`jiesu server status/stop`: the one visible part of the resident process (see server.py)."""

from __future__ import annotations

import os

import typer

from jiesu.clikit import JiesuGroup, fail, say
from jiesu.errors import ExitCode

server_app = typer.Typer(cls=JiesuGroup, no_args_is_help=True, add_completion=False, rich_markup_mode=None)


@server_app.command("status")
def status() -> None:
    """显示常驻进程是否在运行；它在运行却没有应答时说出它的 pid，退出码 1。

    JIESU_SERVER=0（或 off、false、no）让命令不经常驻进程、各自启动；1（或 on、true、yes）或不设则使用它；其他值会被拒绝。
    之前启动的常驻进程在关闭它的环境里仍照常显示，可用 jiesu server stop 让它退出。

    例：jiesu server status
    """
    from jiesu.client import server_wanted

    try:
        wanted = server_wanted()
    except ValueError as exc:
        fail(str(exc), ExitCode.USAGE)
    off = "" if wanted else f"JIESU_SERVER={os.environ['JIESU_SERVER'].strip()}"
    from jiesu.client import ready_bound
    from jiesu.server import NotAnswering

    try:
        found = _control("status")  # one started before may run on even where this environment turns it off
    except NotAnswering as stuck:
        fail(f"常驻进程（pid {stuck.pid}）在运行，但 {ready_bound():g} 秒内没有应答；jiesu server stop 可结束它")
    if found is None:
        from jiesu.server import starting_pid

        starting = starting_pid()  # not listening yet: it was 未运行 here, and a moment later 运行中
        if starting is None:
            typer.echo(f"常驻进程：已关闭（{off}），每条命令单独启动" if off else "常驻进程：未运行（下一条命令会启动它）")
            return
        line = f"常驻进程：正在启动（pid {starting}）"
    else:
        pid, uptime, served = found
        line = f"常驻进程：运行中（pid {pid}，已运行 {uptime // 60} 分 {uptime % 60} 秒，已处理 {served} 个请求）"
    typer.echo(f"{line}；本环境已关闭它（{off}），命令不经它执行，jiesu server stop 可让它退出" if off else line)


@server_app.command("stop")
def stop() -> None:
    """让常驻进程退出（正在执行的命令会执行完）；下一条命令会重新启动它。

    它退出后才返回（最多等 10 秒，JIESU_SERVER_STOP_WAIT），所以紧接着的 jiesu server status 说的是实情；
    正在启动的常驻进程，等它开始接受命令再让它退出。
    没有应答的常驻进程（停住或卡死）由它结束：先 SIGTERM，等上述时间仍在就 SIGKILL。

    例：jiesu server stop
    """
    from jiesu.client import ready_bound
    from jiesu.server import STOP_WAIT, NotAnswering, is_running, listening_pid, wait_stopped

    bound = float(os.environ.get("JIESU_SERVER_STOP_WAIT", STOP_WAIT))
    try:
        found = _control("stop") or _stop_starting(bound)
    except NotAnswering as stuck:
        _end_stuck(stuck.pid, bound, f"{ready_bound():g} 秒内没有应答")
        return
    if found is None:
        say("常驻进程未运行")
        return
    pid = found[0]
    if not wait_stopped(pid, bound):
        if is_running(pid):  # its spare fork took the request, but it did not leave: stopped or hung itself
            _end_stuck(pid, bound, f"{bound:g} 秒内没有按请求退出")
            return
        say(f"常驻进程（pid {pid}）已不再接受命令；还有命令在执行，{bound:g} 秒内未结束，执行完后退出")
        return
    successor = listening_pid()
    if successor:
        say(f"常驻进程（pid {pid}）已退出；其间另一条命令启动了新的常驻进程（pid {successor}）")
    else:
        say(f"常驻进程（pid {pid}）已退出")


def _stop_starting(bound: float):
    """`stop` of a resident process still warming up (not listening yet), which `stop` called 未运行 and a `status`
    just after found 运行中: stopped as soon as it listens, as `_control("stop")` answers; ended if it does not
    listen within `bound` seconds (then stop has said so, and exits 0: nothing is left running). None: there is none."""
    from jiesu.server import starting_pid, stop_once_listening

    pid = starting_pid()
    if pid is None:
        return None
    found = stop_once_listening(pid, bound)
    if found is None and starting_pid() == pid:
        _end_stuck(pid, bound, f"启动后 {bound:g} 秒内没有开始接受命令")
        raise typer.Exit(0)
    return found or (pid, 0, 0)


def _end_stuck(pid: int, bound: float, waited: str) -> None:
    """`stop` of a resident process that did not answer or leave (`waited` says which): end it, and say
    how, or that it could not be."""
    from jiesu.server import NotAnswering, end_not_answering

    try:
        killed = end_not_answering(pid, bound)
    except NotAnswering:
        fail(f"常驻进程（pid {pid}）{waited}，SIGKILL 后 {bound:g} 秒仍未结束")
    if killed:
        say(f"常驻进程（pid {pid}）{waited}，SIGTERM 后 {bound:g} 秒仍在，已强制结束（SIGKILL）")
    else:
        say(f"常驻进程（pid {pid}）{waited}，已结束（SIGTERM）")


def _control(action: str):
    """`server.control(action)`, or a one-line refusal when the socket is not safely this user's."""
    from jiesu.client import Refused
    from jiesu.server import control

    try:
        return control(action)
    except Refused as exc:
        fail(f"{exc}，无法与常驻进程通信")
