import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { ProtocolErrorFilter } from '@wharf/packages-core';

/**
 * NuGet routes answer errors as Forgejo does, `{"Message": …}` (docs/protocols/nuget.md §2),
 * and put the message in the status line too: NuGet.exe and `dotnet nuget push` show the
 * reason phrase, not the body, when a push fails (as nuget.org answers).
 */
@Catch()
export class NuGetErrorFilter extends ProtocolErrorFilter {
  constructor() {
    super('nuget');
  }

  protected render(res: Response, _status: number, message: string): void {
    res.statusMessage = message.replace(/[^\x20-\x7e]+/g, ' ').slice(0, 200);
    res.json({ Message: message });
  }
}
