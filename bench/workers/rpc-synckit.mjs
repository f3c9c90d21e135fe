// rpc-synckit.mjs — synckit's worker for the rpc scenario: inc(x) = x + 1 via runAsWorker.
import { runAsWorker } from "synckit";
import inc from "./rpc-fns.mjs";

runAsWorker(inc);
