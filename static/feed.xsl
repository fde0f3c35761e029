<?xml version="1.0" encoding="utf-8"?>
<!-- /feed.atom in a browser (SPEC §6): the same Atom, shown as a readable page. Feed
     readers ignore this stylesheet. No script, no inline style: CSP-clean. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom" exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="utf-8" doctype-system="about:legacy-compat"/>
  <xsl:template match="/atom:feed">
    <html lang="en" data-theme="dark">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="atom:title"/></title>
        <link rel="stylesheet" href="/static/css/tokens.css"/>
        <link rel="stylesheet" href="/static/css/base.css"/>
        <link rel="stylesheet" href="/static/css/prose.css"/>
      </head>
      <body>
        <main id="main" class="prose feed-page">
          <h1><xsl:value-of select="atom:title"/></h1>
          <p><xsl:value-of select="atom:subtitle"/></p>
          <p class="legend">This is an Atom feed: paste its address into a feed reader to follow what changes. <a href="{atom:link[@rel='alternate']/@href}">Back to the leaderboard</a>.</p>
          <ol class="event-list">
            <xsl:for-each select="atom:entry">
              <li class="event">
                <time datetime="{atom:updated}"><xsl:value-of select="translate(substring(atom:updated, 1, 16), 'T', ' ')"/> UTC</time>
                <xsl:text> </xsl:text>
                <a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a>
                <xsl:text>: </xsl:text>
                <span class="event-summary"><xsl:value-of select="atom:summary"/></span>
              </li>
            </xsl:for-each>
          </ol>
          <xsl:if test="not(atom:entry)"><p>No changes recorded yet.</p></xsl:if>
        </main>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
