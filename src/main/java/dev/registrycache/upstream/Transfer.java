package dev.registrycache.upstream;

/**
 * Control over one upstream body in flight, handed to its {@link BodySink}; every method may be
 * called from any thread.
 */
public interface Transfer {
  /** Stops the transfer and closes the connection. */
  void cancel();

  /** Stops reading from upstream (what was already read still reaches the sink) until {@link #resume}. */
  void pause();

  /** Reads on after {@link #pause}. */
  void resume();

  /** A transfer that is not (yet) there: every call does nothing. */
  Transfer NONE = new Transfer() {
    @Override
    public void cancel() {
      // nothing to stop
    }

    @Override
    public void pause() {
      // nothing to pause
    }

    @Override
    public void resume() {
      // nothing to resume
    }
  };
}
