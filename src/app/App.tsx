import { useEffect, useState } from 'react';

import { CapabilityList } from '../ui/CapabilityList';
import type { Capability } from '../ui/CapabilityList';
import { detectCapabilities } from './capabilities';
import { RunArea } from './RunArea';

/** The studio shell. The merge canvas arrives with the studio issue; today it reports what this browser can do. */
export function App() {
  const [capabilities, setCapabilities] = useState<readonly Capability[] | undefined>(undefined);

  useEffect(() => {
    let live = true;
    void detectCapabilities().then((found) => {
      if (live) setCapabilities(found);
    });
    return () => {
      live = false;
    };
  }, []);

  return (
    <div className="app">
      <header className="app-header">
        <h1>Merge Studio</h1>
        <p className="tagline">Merge language models in your browser, on your own GPU. Nothing is uploaded.</p>
      </header>
      <main className="app-main">
        <section aria-labelledby="capabilities-title" className="panel">
          <h2 id="capabilities-title">This browser</h2>
          {capabilities === undefined ? <p>Checking…</p> : <CapabilityList items={capabilities} />}
        </section>
        <RunArea />
      </main>
    </div>
  );
}
