#!/usr/bin/env escript
%% Peer for `wippy-bench processes`: the same four measurements on the Erlang VM.
%% Usage: escript processes.erl N ROUNDS  ->  prints "name value" lines.
-mode(compile).

main([NArg, RoundsArg]) ->
    N = list_to_integer(NArg),
    Rounds = list_to_integer(RoundsArg),
    Self = self(),
    erlang:garbage_collect(),
    MemBefore = erlang:memory(processes),
    T0 = erlang:monotonic_time(nanosecond),
    Pids = [spawn(fun() -> Self ! up, idle(Self) end) || _ <- lists:seq(1, N)],
    wait_ups(N),
    T1 = erlang:monotonic_time(nanosecond),
    MemAfter = erlang:memory(processes),
    io:format("spawn_per_sec ~.1f~n", [N / ((T1 - T0) / 1.0e9)]),
    io:format("bytes_per_idle_process ~.1f~n", [(MemAfter - MemBefore) / N]),
    %% fan-out: one message to each idle process; each acknowledges; wait for all acks.
    T2 = erlang:monotonic_time(nanosecond),
    [P ! hello || P <- Pids],
    wait_acks(N),
    T3 = erlang:monotonic_time(nanosecond),
    [P ! stop || P <- Pids],
    io:format("fanout_ns_per_recipient ~.1f~n", [(T3 - T2) / N]),
    %% round trip
    Pong = spawn(fun Loop() -> receive {ping, From, I} -> From ! {pong, I}, Loop(); stop -> ok end end),
    [begin Pong ! {ping, Self, I}, receive {pong, I} -> ok end end || I <- lists:seq(1, 1000)],
    T4 = erlang:monotonic_time(nanosecond),
    [begin Pong ! {ping, Self, I}, receive {pong, I} -> ok end end || I <- lists:seq(1, Rounds)],
    T5 = erlang:monotonic_time(nanosecond),
    Pong ! stop,
    io:format("round_trip_ns ~.1f~n", [(T5 - T4) / Rounds]).

wait_ups(0) -> ok;
wait_ups(K) -> receive up -> wait_ups(K - 1) end.

wait_acks(0) -> ok;
wait_acks(K) -> receive ack -> wait_acks(K - 1) end.

idle(Parent) ->
    receive
        stop -> ok;
        _ -> Parent ! ack, idle(Parent)
    end.
